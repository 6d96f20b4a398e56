from .ssd_anchors import InputScaledSSDAnchorGenerator, ssd_level_strides

__all__ = ['InputScaledSSDAnchorGenerator', 'ssd_level_strides']
