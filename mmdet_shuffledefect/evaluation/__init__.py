from mmdet_shuffledefect.registry import MMDET_METRICS, MMPRETRAIN_METRICS
from .confusion_plot import ConfusionMatrixPlot, plot_confusion
from .neu_voc_metric import NEUVOCMetric

MMDET_METRICS.register_module(module=NEUVOCMetric)
MMPRETRAIN_METRICS.register_module(module=ConfusionMatrixPlot)

__all__ = ['ConfusionMatrixPlot', 'NEUVOCMetric', 'plot_confusion']
