"""The Python inference and inspection API (what ``tools/inspect_defects.py`` runs).

The code lives in :mod:`mmdet_shuffledefect.inspection`; these are its public entry points.
The old module paths ``mmdet_shuffledefect.apis.inspection``, ``.station``, ``.results_db``
and ``.score_thresholds`` stay importable as aliases of the new modules for one release
(see ``docs/layout.md``).

Example:
    >>> from mmdet_shuffledefect.apis import init_inspection_model, inspect_paths
    >>> model = init_inspection_model('configs/sdn_ssd_neu.py', 'best.pth')  # doctest: +SKIP
    >>> summary = inspect_paths(model, ['a.jpg'], 'report/')                 # doctest: +SKIP
"""
from mmdet_shuffledefect.inspection import (detect, detect_many, init_inspection_model,
                                            inspect_paths, list_inputs, predict_batch)

__all__ = [
    "detect", "detect_many", "init_inspection_model", "inspect_paths", "list_inputs",
    "predict_batch"
]
