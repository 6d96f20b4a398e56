from mmdet_shuffledefect.registry import register_backbone
from .shuffledefectnet import ShuffleDefectNet

register_backbone(ShuffleDefectNet)

__all__ = ['ShuffleDefectNet']
