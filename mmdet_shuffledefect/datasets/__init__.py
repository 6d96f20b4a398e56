from mmdet_shuffledefect.registry import MMDET_DATASETS, MMPRETRAIN_DATASETS
from .neu_classes import NEU_CLASSES, NEU_CLS_PREFIXES, NEU_PALETTE
from .neu_cls import NEUCLSDataset
from .neu_det import NEUDETDataset, read_split_file

MMDET_DATASETS.register_module(module=NEUDETDataset)
MMPRETRAIN_DATASETS.register_module(module=NEUCLSDataset)

__all__ = ['NEUCLSDataset', 'NEUDETDataset', 'NEU_CLASSES', 'NEU_CLS_PREFIXES', 'NEU_PALETTE',
           'read_split_file']
