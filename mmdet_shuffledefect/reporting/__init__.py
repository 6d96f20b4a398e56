"""The model zoo's tables (:mod:`.model_zoo`): the README's role and zoo tables generated
from the metafiles, and the checks of the published checkpoints against them.

The study's reporting code (recipe screens, the detector comparison table, run records)
lives in the study wing, ``projects/shuffledefectnet_study/sdn_study/``.
"""
