"""The ShuffleDefectNet study's code: what writes the study's tables, not the product.

Installed beside ``mmdet_shuffledefect`` (``make install``; by hand:
``pip install -e projects/shuffledefectnet_study``); it imports the package, the package
never imports it.

- :mod:`.classical` - the texture classifiers of the paper's Table 2 (CLBP, AECLBP, BYEC).
- :mod:`.screening` - recipe-screening runs and their tables in ``results/``.
- :mod:`.detector_table` - the detector comparison table (accuracy beside speed).
- :mod:`.run_record` - one training run's record (command, commit, seed, minutes,
  environment).
- :mod:`.data_size_plot` - the training-set-size plot.
- :mod:`.box_convention` - AP against the annotated boxes and against overlapping boxes
  merged (how much of a class's AP is the annotators' convention).
"""
