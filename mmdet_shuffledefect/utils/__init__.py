"""Helpers the command-line tools share: flags and config loading (:mod:`.cli`), the data root
and class names of a config (:mod:`.config_data`), checkpoint and model checks
(:mod:`.checkpoint_fit`, :mod:`.model_check`), FLOPs (:mod:`.complexity`), timing
(:mod:`.timing`), the best and latest checkpoint of a work dir (:mod:`.work_dir`) and the
environment record of results files (:mod:`.env`).

The model zoo's tables live in :mod:`mmdet_shuffledefect.reporting`, the study's reporting
code in the study wing (``projects/shuffledefectnet_study/sdn_study/``).
"""
