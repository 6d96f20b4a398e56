"""Put the package's modules into mmdet's and mmpretrain's registries.

Backbones go into both (mmdet for detectors, mmpretrain for NEU-CLS
classifiers); detection-only parts (neck, heads, dataset, metric) go into
mmdet's. Nothing here builds sub-modules through a registry, so a module built
under an mmpretrain default scope never looks things up in mmdet's.
"""
from typing import Type

from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODELS as MMDET_MODELS
from mmpretrain.registry import DATASETS as MMPRETRAIN_DATASETS
from mmpretrain.registry import METRICS as MMPRETRAIN_METRICS
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS


def register_backbone(cls: Type) -> Type:
    """Register ``cls`` in mmdet's and mmpretrain's ``MODELS``."""
    MMDET_MODELS.register_module(module=cls)
    MMPRETRAIN_MODELS.register_module(module=cls)
    return cls


__all__ = [
    'MMDET_DATASETS', 'MMDET_METRICS', 'MMDET_MODELS', 'MMPRETRAIN_DATASETS',
    'MMPRETRAIN_METRICS', 'MMPRETRAIN_MODELS', 'register_backbone'
]
