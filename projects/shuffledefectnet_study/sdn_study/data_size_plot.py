"""The training-set-size picture: test mAP@0.5 against the number of training images,
one line per class and a bold line for the mean."""
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

from .screening import MAP_KEY
from .screening import PER_CLASS_PREFIX as AP_PREFIX


def data_size_series(points: Sequence[Tuple[int, Dict[str, float]]]
                     ) -> Tuple[List[int], Dict[str, List[float]]]:
    """Sort the points by training images and gather one series per class and the mean.

    Args:
        points (Sequence[tuple]): ``(training images, test metrics)`` pairs, the metrics
            as read by :func:`mmdet_shuffledefect.reporting.screening.read_test_metrics`.

    Returns:
        tuple: the sorted image counts, and ``{'mean': [...], class: [...]}``.

    Raises:
        ValueError: No points, a count below 1, the same count twice, or runs whose
            classes differ.

    Example:
        >>> pts = [(630, {MAP_KEY: 0.5, AP_PREFIX + 'a': 0.4}),
        ...        (315, {MAP_KEY: 0.3, AP_PREFIX + 'a': 0.2})]
        >>> data_size_series(pts)
        ([315, 630], {'mean': [0.3, 0.5], 'a': [0.2, 0.4]})
    """
    if not points:
        raise ValueError('no points to plot: give at least one IMAGES=WORK_DIR')
    counts = [n for n, _ in points]
    bad = [n for n in counts if n < 1]
    if bad:
        raise ValueError(f'training image counts must be >= 1, got {bad}')
    if len(set(counts)) != len(counts):
        raise ValueError(f'each training-set size once, got {sorted(counts)}')
    points = sorted(points, key=lambda p: p[0])
    classes = [k[len(AP_PREFIX):] for k in points[0][1] if k.startswith(AP_PREFIX)]
    series = {'mean': [], **{c: [] for c in classes}}
    for n, metrics in points:
        theirs = [k[len(AP_PREFIX):] for k in metrics if k.startswith(AP_PREFIX)]
        if sorted(theirs) != sorted(classes):
            raise ValueError(f'the run with {n} training images has classes {theirs}, '
                             f'the first has {classes}')
        series['mean'].append(metrics[MAP_KEY])
        for c in classes:
            series[c].append(metrics[AP_PREFIX + c])
    return [n for n, _ in points], series


def plot_data_size(counts: Sequence[int], series: Dict[str, Sequence[float]], out_file: str,
                   title: str = 'NEU-DET test mAP@0.5 vs training images') -> None:
    """Save the lines of :func:`data_size_series` as a PNG (matplotlib, no display)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8.5, 4.5))
    for name, values in series.items():
        if name == 'mean':
            continue
        ax.plot(counts, values, marker='o', linewidth=1.2, label=name)
    ax.plot(counts, series['mean'], marker='s', color='black', linewidth=2.8,
            label='mean (mAP@0.5)')
    ax.set_xscale('log', base=2)
    ax.set_xticks(list(counts), [str(n) for n in counts])
    ax.minorticks_off()
    ax.set_ylim(0, 1)
    ax.set_xlabel('training images')
    ax.set_ylabel('test AP@0.5')
    ax.set_title(title)
    ax.grid(alpha=0.3)
    # outside the axes, so no line or point is hidden under it
    ax.legend(fontsize=8, loc='center left', bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=100, bbox_inches='tight')
    plt.close(fig)
