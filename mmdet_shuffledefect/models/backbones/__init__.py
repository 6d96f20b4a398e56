from .shuffledefectnet import ShuffleDefectNet

__all__ = ['ShuffleDefectNet']
