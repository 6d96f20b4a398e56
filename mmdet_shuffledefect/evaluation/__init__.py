from .confusion_plot import ConfusionMatrixPlot, plot_confusion
from .bootstrap import bootstrap_map
from .neu_voc_metric import NEUVOCMetric
from .picture_level import picture_level

__all__ = ['ConfusionMatrixPlot', 'NEUVOCMetric', 'bootstrap_map', 'picture_level',
           'plot_confusion']
