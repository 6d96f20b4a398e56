from mmdet_shuffledefect.registry import MMDET_METRICS
from .neu_voc_metric import NEUVOCMetric

MMDET_METRICS.register_module(module=NEUVOCMetric)

__all__ = ['NEUVOCMetric']
