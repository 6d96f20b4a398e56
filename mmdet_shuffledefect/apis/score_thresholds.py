"""Moved to :mod:`mmdet_shuffledefect.utils.score_thresholds`;
this alias stays for one release (docs/layout.md)."""
import sys

import mmdet_shuffledefect.utils.score_thresholds as _moved

sys.modules[__name__] = _moved
