"""The Python inference and inspection API (what ``tools/inspect_defects.py`` runs).

Example:
    >>> from mmdet_shuffledefect.apis import init_inspection_model, inspect_paths
    >>> model = init_inspection_model('configs/sdn_ssd_neu.py', 'best.pth')  # doctest: +SKIP
    >>> summary = inspect_paths(model, ['a.jpg'], 'report/')                 # doctest: +SKIP
"""
from .inspection import (detect, detect_many, init_inspection_model, inspect_paths, list_inputs,
                         predict_batch)

__all__ = [
    "detect", "detect_many", "init_inspection_model", "inspect_paths", "list_inputs", "predict_batch"
]
