from .confusion_plot import ConfusionMatrixPlot, plot_confusion
from .bootstrap import bootstrap_map
from .neu_voc_metric import NEUVOCMetric

__all__ = ['ConfusionMatrixPlot', 'NEUVOCMetric', 'bootstrap_map', 'plot_confusion']
