"""ShuffleDefectNet for MMDetection 3.x and MMPretrain 1.x.

Importing the package (``custom_imports=dict(imports=['mmdet_shuffledefect'])``
in a config) imports its modules, whose decorators register the backbone in
mmdet's and mmpretrain's ``MODELS``, the neck, NEU datasets, metrics and hook,
and applies the upstream fixes the installed versions need
(:mod:`mmdet_shuffledefect.compat`).
"""
from .version import __version__
from .compat import apply_upstream_fixes

# Before the submodules: one fix must run before anything imports mmpretrain.
apply_upstream_fixes()

from . import datasets  # noqa: F401,E402  (registers on import)
from . import engine  # noqa: F401,E402
from . import evaluation  # noqa: F401,E402
from . import models  # noqa: F401,E402

__all__ = ['__version__', 'apply_upstream_fixes']
