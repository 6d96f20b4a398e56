"""ShuffleDefectNet for MMDetection 3.x and MMPretrain 1.x.

Importing the package (``custom_imports=dict(imports=['mmdet_shuffledefect'])``
in a config) registers the backbone and neck in mmdet's ``MODELS`` (the
backbone in mmpretrain's too), the NEU datasets and metrics, and installs the
safe checkpoint loader (see :mod:`mmdet_shuffledefect.engine.safe_checkpoint`).
"""
from .version import __version__
from .engine import install_safe_checkpoint_loader
from . import models  # noqa: F401  (registers modules)
from . import datasets  # noqa: F401
from . import evaluation  # noqa: F401

install_safe_checkpoint_loader()

__all__ = ['__version__']
