"""Moved to :mod:`mmdet_shuffledefect.inspection.station`;
this alias stays for one release (docs/layout.md)."""
import sys

import mmdet_shuffledefect.inspection.station as _moved

sys.modules[__name__] = _moved
