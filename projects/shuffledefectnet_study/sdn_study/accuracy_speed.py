"""Accuracy against exported speed: the points of the published detectors and their peers.

A point is one detector at one input size: its test mAP@0.5 with the 95 % bootstrap
interval, and its whole-detector img/s (batch 32) on each exported runtime of one
``benchmark.py --json`` run, as a ratio to a reference detector of the same run (the
paper's SSD at 192 px). Ratios are what can be compared across runs and CPUs, so the
peers (detectors measured elsewhere, e.g. Ultralytics YOLO) enter as ratio ranges to
the same reference with the source of their numbers.
"""
import json
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from mmdet_shuffledefect.reporting.model_zoo import speed_of

#: the panels: exported runtimes, columns of the zoo's speed table (``model_zoo.SPEED_ROWS``)
RUNTIMES = ('onnxruntime', 'OpenVINO f32')


@dataclass
class Point:
    """One detector at one input size.

    Attributes:
        label (str): The name drawn beside the point.
        map50 (float): Test mAP@0.5.
        interval (tuple, optional): Its 95 % bootstrap interval ``(low, high)``.
        ratios (dict): Runtime (:data:`RUNTIMES`) -> ``(low, high)`` speed ratio to the
            reference detector (equal ends for one measurement).
        img_s (dict): Runtime -> img/s in the benchmark run (empty for peers).
        kind (str): ``'published'``, ``'other size'`` (a published checkpoint run at
            an input size it was not trained at) or ``'peer'``.
        source (str): Where a peer's numbers come from.
    """
    label: str
    map50: float
    interval: Optional[Tuple[float, float]] = None
    ratios: Dict[str, Tuple[float, float]] = field(default_factory=dict)
    img_s: Dict[str, float] = field(default_factory=dict)
    kind: str = 'published'
    source: str = ''


def parse_interval(text: str, what: str) -> Tuple[float, float]:
    """``'0.657-0.722'`` -> ``(0.657, 0.722)``.

    Raises:
        ValueError: Not two numbers joined by ``-`` with low <= high.

    Example:
        >>> parse_interval('0.657-0.722', 'x')
        (0.657, 0.722)
    """
    low, sep, high = str(text).partition('-')
    try:
        pair = (float(low), float(high))
    except ValueError:
        pair = None
    if not sep or pair is None or pair[0] > pair[1]:
        raise ValueError(f'{what}: test interval {text!r} is not LOW-HIGH (e.g. 0.657-0.722)')
    return pair


def speed_point(label: str, map50: float, interval: Optional[Tuple[float, float]],
                record: Dict, config: str, reference: Dict[str, float],
                input_size: Optional[int] = None, kind: str = 'published') -> Point:
    """A :class:`Point` of ``config`` with its img/s and ratios to ``reference`` (runtime
    -> the reference's img/s in the same run); runtimes without a row are left out."""
    point = Point(label, map50, interval, kind=kind)
    for runtime in RUNTIMES:
        img_s = speed_of(record, config, runtime, input_size=input_size)
        if img_s is not None and reference.get(runtime):
            point.img_s[runtime] = img_s
            ratio = img_s / reference[runtime]
            point.ratios[runtime] = (ratio, ratio)
    return point


def load_peers(path: str) -> List[Point]:
    """The peer detectors of a JSON file: ``{"detectors": [{"name", "mAP", "source",
    "speed_ratio": {RUNTIME: [LOW, HIGH]}}]}`` (runtimes as in :data:`RUNTIMES`).

    Raises:
        FileNotFoundError: No such file.
        ValueError: An entry without name, mAP or source, an unknown runtime, or a
            ratio range that is not two numbers, low <= high.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'peer file {path} does not exist')
    with open(path) as f:
        try:
            record = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{path}: not a JSON file ({err})') from err
    entries = record.get('detectors') if isinstance(record, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f'{path}: expected {{"detectors": [...]}}')
    peers = []
    for i, entry in enumerate(entries):
        missing = [k for k in ('name', 'mAP', 'source', 'speed_ratio') if k not in entry]
        if missing:
            raise ValueError(f'{path}: detector {i} lacks {missing}')
        ratios = {}
        for runtime, pair in entry['speed_ratio'].items():
            if runtime not in RUNTIMES:
                raise ValueError(f'{path}: {entry["name"]}: runtime {runtime!r}, expected one '
                                 f'of {list(RUNTIMES)}')
            if (not isinstance(pair, list) or len(pair) != 2
                    or not all(isinstance(v, (int, float)) for v in pair) or pair[0] > pair[1]):
                raise ValueError(f'{path}: {entry["name"]}: {runtime} ratio {pair!r} is not '
                                 '[LOW, HIGH]')
            ratios[runtime] = (float(pair[0]), float(pair[1]))
        peers.append(Point(entry['name'], float(entry['mAP']), ratios=ratios, kind='peer',
                           source=entry['source']))
    return peers


def table_rows(points: Sequence[Point]) -> List[str]:
    """Markdown rows of the points: mAP with interval, then per runtime img/s and ratio.

    Example:
        >>> p = Point('a', 0.7, (0.65, 0.74), {'onnxruntime': (2.0, 2.0)},
        ...           {'onnxruntime': 500.0})
        >>> table_rows([p])[2]
        '| a | 0.700 [0.650-0.740] | 500 (2.00x) | - |'
    """
    lines = ['| detector | test mAP@0.5 [95 %] | '
             + ' | '.join(f'{r} img/s (x ref)' for r in RUNTIMES) + ' |',
             '|' + '---|' * (2 + len(RUNTIMES))]
    for p in points:
        acc = f'{p.map50:.3f}' + (f' [{p.interval[0]:.3f}-{p.interval[1]:.3f}]'
                                  if p.interval else '')
        cells = []
        for runtime in RUNTIMES:
            low, high = p.ratios.get(runtime, (None, None))
            if low is None:
                cells.append('-')
            elif runtime in p.img_s:
                cells.append(f'{p.img_s[runtime]:.0f} ({low:.2f}x)')
            else:
                cells.append(f'({low:.2f}-{high:.2f}x)')
        lines.append('| ' + ' | '.join([p.label, acc] + cells) + ' |')
    return lines


#: how each kind of point is drawn: (marker, colour, label in the legend)
STYLES = {'published': ('o', '#1f4e9a', 'published checkpoint, its input size'),
          'other size': ('s', '#9aa7bd', 'published checkpoint at another input size'),
          'peer': ('D', '#c0392b', 'peer (from its source, ratio ranges)')}


def point_keys(points: Sequence[Point]) -> List[str]:
    """The short key drawn beside each point: 1, 2, ... for this project's, P1, P2, ...
    for the peers (the picture lists what each key stands for).

    Example:
        >>> point_keys([Point('a', .5), Point('b', .6, kind='peer'), Point('c', .7)])
        ['1', 'P1', '2']
    """
    keys, counts = [], {'own': 0, 'peer': 0}
    for p in points:
        group = 'peer' if p.kind == 'peer' else 'own'
        counts[group] += 1
        keys.append(('P' if group == 'peer' else '') + str(counts[group]))
    return keys


def plot(points: Sequence[Point], out: str, title: str, reference: Dict[str, float]) -> None:
    """One panel per runtime: test mAP@0.5 (bootstrap interval as bars) against the
    speed ratio to the reference detector (peers: their ratio range as bars); each
    point carries a key, listed under the panels with its detector."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    keys = point_keys(points)
    fig, axes = plt.subplots(1, len(RUNTIMES), figsize=(5.6 * len(RUNTIMES), 6.8), sharey=True)
    for ax, runtime in zip(axes, RUNTIMES):
        for key, p in zip(keys, points):
            if runtime not in p.ratios:
                continue
            marker, colour, _ = STYLES[p.kind]
            low, high = p.ratios[runtime]
            x = (low + high) / 2
            yerr = ([[p.map50 - p.interval[0]], [p.interval[1] - p.map50]]
                    if p.interval else None)
            xerr = [[x - low], [high - x]] if high > low else None
            ax.errorbar(x, p.map50, yerr=yerr, xerr=xerr, fmt=marker, color=colour,
                        ecolor=colour, elinewidth=1, capsize=3, markersize=6)
            lift = -11 if p.kind == 'peer' and int(key[1:]) % 2 == 0 else 3  # peers side by side
            ax.annotate(key, (x, p.map50), textcoords='offset points', xytext=(5, lift),
                        fontsize=8, color=colour, weight='bold')
        ax.axvline(1.0, color='#bbbbbb', lw=0.8, ls='--')
        ax.set_xlabel(f'{runtime} img/s at batch 32 / the reference\'s '
                      f'({reference.get(runtime, 0):.0f} img/s)', fontsize=9)
        ax.set_title(runtime, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel('test mAP@0.5 (VOC area), 95 % bootstrap interval')
    for kind, (marker, colour, name) in STYLES.items():
        if any(p.kind == kind for p in points):
            axes[-1].plot([], [], marker, color=colour, label=name)
    axes[-1].legend(loc='lower right', fontsize=7)
    key_lines = [f'{k}  {p.label}' for k, p in zip(keys, points)]
    half = (len(key_lines) + 1) // 2
    for col, chunk in enumerate((key_lines[:half], key_lines[half:])):
        fig.text(0.02 + 0.5 * col, 0.02, '\n'.join(chunk), fontsize=7, va='bottom',
                 family='monospace')
    fig.suptitle(title, fontsize=9)
    fig.tight_layout(rect=(0, 0.03 + 0.021 * half, 1, 1))
    fig.savefig(out, dpi=130)
    plt.close(fig)
