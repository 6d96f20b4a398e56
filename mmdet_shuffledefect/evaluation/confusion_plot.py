"""Classification metrics for NEU-CLS: top-1, per-class precision/recall, and a
confusion matrix that is also saved as a picture."""
import os
import os.path as osp
from typing import List, Optional

import numpy as np
from mmpretrain.evaluation import ConfusionMatrix
from mmpretrain.registry import METRICS


def plot_confusion(matrix: np.ndarray, classes: List[str], out_file: str,
                   title: str = 'Confusion matrix') -> None:
    """Save ``matrix`` (rows = ground truth, columns = prediction) as a PNG."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(1.1 * len(classes) + 2, 1.1 * len(classes) + 1.5))
    ax.imshow(matrix, cmap='Blues')
    ax.set_xticks(range(len(classes)), classes, rotation=40, ha='right')
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel('predicted')
    ax.set_ylabel('ground truth')
    ax.set_title(title)
    peak = matrix.max() if matrix.size else 0
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            ax.text(j, i, str(int(matrix[i, j])), ha='center', va='center',
                    color='white' if matrix[i, j] > peak / 2 else 'black')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=100)
    plt.close(fig)


@METRICS.register_module()
class ConfusionMatrixPlot(ConfusionMatrix):
    """mmpretrain's ``ConfusionMatrix`` that also writes a PNG picture.

    Args:
        out_file (str): Where the picture goes. Defaults to
            'confusion_matrix.png' (relative to the working directory).
        **kwargs: :class:`mmpretrain.evaluation.ConfusionMatrix` arguments.

    Example:
        >>> val_evaluator = [dict(type='Accuracy', topk=(1, )),
        ...                  dict(type='ConfusionMatrixPlot', out_file='work/cm.png')]
    """

    def __init__(self, out_file: str = 'confusion_matrix.png',
                 num_classes: Optional[int] = None, **kwargs) -> None:
        super().__init__(num_classes=num_classes, **kwargs)
        self.out_file = out_file

    def compute_metrics(self, results: list) -> dict:
        """The confusion matrix, also plotted to ``out_file``."""
        metrics = super().compute_metrics(results)
        classes = list((self.dataset_meta or {}).get('classes') or [])
        matrix = metrics['result'].cpu().numpy()
        if len(classes) != matrix.shape[0]:
            classes = [str(i) for i in range(matrix.shape[0])]
        plot_confusion(matrix, classes, self.out_file)
        return metrics
