from .confusion_plot import ConfusionMatrixPlot, plot_confusion
from .bootstrap import bootstrap_map
from .neu_voc_metric import NEUVOCMetric
from .paired_test import mcnemar_exact, paired_counts
from .picture_metrics import choose_thresholds, picture_level

__all__ = ['ConfusionMatrixPlot', 'NEUVOCMetric', 'bootstrap_map', 'choose_thresholds',
           'mcnemar_exact', 'paired_counts', 'picture_level', 'plot_confusion']
