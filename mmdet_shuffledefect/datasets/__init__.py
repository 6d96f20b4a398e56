from .neu_classes import NEU_CLASSES, NEU_CLS_PREFIXES, NEU_PALETTE, DataError
from .neu_cls import NEUCLSDataset
from .neu_det import NEUDETDataset, find_image, read_split_file

__all__ = ['DataError', 'NEUCLSDataset', 'NEUDETDataset', 'NEU_CLASSES', 'NEU_CLS_PREFIXES', 'NEU_PALETTE',
           'find_image', 'read_split_file']
