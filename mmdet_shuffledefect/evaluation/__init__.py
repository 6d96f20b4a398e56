from .confusion_plot import ConfusionMatrixPlot, plot_confusion
from .neu_voc_metric import NEUVOCMetric

__all__ = ['ConfusionMatrixPlot', 'NEUVOCMetric', 'plot_confusion']
