"""Experiment reporting: the code that writes the results files, not the tools' helpers.

- :mod:`.run_record` - one training run's record (command, commit, seed, minutes, environment).
- :mod:`.screening` - recipe-screening runs and their tables in ``results/``.
- :mod:`.detector_table` - the detector comparison table (accuracy beside speed).
- :mod:`.model_zoo` - the model-zoo table generated from the metafiles.
"""
