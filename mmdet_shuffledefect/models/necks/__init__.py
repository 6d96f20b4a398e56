from mmdet_shuffledefect.registry import MMDET_MODELS
from .fusion_neck import SDNFusionNeck

MMDET_MODELS.register_module(module=SDNFusionNeck)

__all__ = ['SDNFusionNeck']
