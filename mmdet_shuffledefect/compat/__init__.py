"""Work-arounds for bugs in the libraries this package builds on, applied from one place.

Each fix has its own module naming the upstream issue and the versions that
need it, and a probe of the installed code: where an installed version no
longer has the bug, the fix is skipped and that is said once in the log.

| fix | module | upstream |
|---|---|---|
| ``SSDHead`` cannot predict (``loss_cls``) | :mod:`.mmdet_ssd_loss_cls` | mmdetection#11780 |
| mmengine checkpoints fail under torch >= 2.6 ``weights_only`` | :mod:`.mmengine_weights_only` | mmengine#1655 |
| ``import mmpretrain`` fails beside transformers 5 | :mod:`.mmpretrain_transformers` | mmpretrain ``utils/dependency.py`` |

Example:
    >>> from mmdet_shuffledefect.compat import apply_upstream_fixes
    >>> sorted(apply_upstream_fixes())
    ['mmdet-ssd-loss-cls', 'mmengine-weights-only', 'mmpretrain-transformers5']
"""
from typing import Dict, Tuple

from .mmdet_ssd_loss_cls import SSD_LOSS_CLS
from .mmengine_weights_only import (MMENGINE_WEIGHTS_ONLY, TRUST_ENV, CorruptCheckpointError,
                                    UnsafeCheckpointError, load_checkpoint_file)
from .mmpretrain_transformers import MMPRETRAIN_TRANSFORMERS
from .upstream_fix import UpstreamFix

#: Every upstream fix of the package, in the order they are applied (the
#: mmpretrain one first: it must run before anything imports mmpretrain).
UPSTREAM_FIXES: Tuple[UpstreamFix, ...] = (MMPRETRAIN_TRANSFORMERS, SSD_LOSS_CLS,
                                           MMENGINE_WEIGHTS_ONLY)

_STATE: Dict[str, bool] = {}


def apply_upstream_fixes() -> Dict[str, bool]:
    """Apply each fix the installed versions need (once per process).

    Returns:
        dict: fix name -> whether it is in force.
    """
    for fix in UPSTREAM_FIXES:
        if fix.name not in _STATE:
            _STATE[fix.name] = fix.apply_if_needed()
    return dict(_STATE)


__all__ = [
    'CorruptCheckpointError', 'MMENGINE_WEIGHTS_ONLY', 'MMPRETRAIN_TRANSFORMERS',
    'SSD_LOSS_CLS', 'TRUST_ENV',
    'UPSTREAM_FIXES', 'UnsafeCheckpointError', 'UpstreamFix', 'apply_upstream_fixes',
    'load_checkpoint_file'
]
