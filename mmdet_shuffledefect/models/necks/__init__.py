from .fusion_neck import SDNFusionNeck

__all__ = ['SDNFusionNeck']
