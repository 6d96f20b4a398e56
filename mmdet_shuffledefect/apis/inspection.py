"""Moved to :mod:`mmdet_shuffledefect.inspection`;
this alias stays for one release (docs/layout.md)."""
import sys

import mmdet_shuffledefect.inspection as _moved

sys.modules[__name__] = _moved
