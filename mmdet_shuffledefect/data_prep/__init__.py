"""Data preparation: split files, converters from YOLO/COCO, the synthetic sample, VOC XML.

Nothing here is registered; the tools in ``tools/dataset_converters/`` and
``tools/misc/make_synthetic.py`` are thin CLIs over these functions. The
default NEU-DET / NEU-CLS split files (names only) are data, not code: they
ship in ``mmdet_shuffledefect/split_lists/`` (:data:`DEFAULT_SPLIT_LISTS`).
"""
import os.path as osp

from .converters import coco_to_neu, print_report, yolo_to_neu
from .splits import (cls_to_det_name, det_to_cls_name, make_splits_for_dir, split_names,
                     write_split_files)
from .synthetic import write_neu_cls, write_neu_det
from .voc_xml import write_voc_xml

#: Folder of the committed default splits: ``neu-det/`` and ``neu-cls/``.
DEFAULT_SPLIT_LISTS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'split_lists')

__all__ = [
    'DEFAULT_SPLIT_LISTS', 'cls_to_det_name', 'coco_to_neu', 'det_to_cls_name',
    'make_splits_for_dir', 'print_report', 'split_names', 'write_neu_cls', 'write_neu_det',
    'write_split_files', 'write_voc_xml', 'yolo_to_neu'
]
