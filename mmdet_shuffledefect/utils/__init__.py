"""Helpers of the command-line tools: flags and config loading (:mod:`.cli`),
timing (:mod:`.timing`) and the environment record of results files (:mod:`.env`)."""
