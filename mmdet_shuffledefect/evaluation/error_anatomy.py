"""What a class's detections are, in the order AP ranks them: hits, and the kinds of miss.

AP at IoU 0.5 walks a class's detections from the highest score down and matches each to
an unmatched annotated box of its picture with IoU >= 0.5 (the VOC rule the project's
metric uses). :func:`detection_kinds` walks them the same way and names what every
detection that is not a hit is instead:

* ``duplicate``: IoU >= the threshold with a box an earlier (higher-scored) detection hit;
* ``near miss, larger`` / ``near miss, smaller`` / ``near miss, shifted``: best IoU in
  ``[near_iou, iou_thr)`` with a box of its class: covering >= ``cover`` of that box,
  lying >= ``cover`` inside it, or neither (the same region cut otherwise);
* ``weak overlap``: some overlap, IoU below ``near_iou``;
* ``background``: no overlap with any box of its class in a picture that holds the class;
* ``picture without the class``: the picture holds no box of this class.

Which kinds rank above the hits tells which lever could raise the AP: duplicates call
for another NMS, background for better scores, near misses for boxes cut as the
annotator cuts them (for NEU-DET's crazing, a texture split into strips by hand).

Example:
    >>> import numpy as np
    >>> gts = {'a': np.array([[0, 0, 99, 49]]), 'b': np.zeros((0, 4))}
    >>> dets = [(0.9, 'a', [0, 0, 99, 49]), (0.8, 'a', [0, 0, 99, 119]), (0.7, 'b', [0, 0, 9, 9])]
    >>> [d['kind'] for d in detection_kinds(dets, gts)]
    ['hit', 'near miss, larger', 'picture without the class']
"""
from collections import Counter
from typing import Dict, Hashable, List, Optional, Sequence, Tuple

import numpy as np

#: every kind :func:`detection_kinds` names, in the order tables list them
KINDS = ('hit', 'duplicate', 'near miss, larger', 'near miss, smaller', 'near miss, shifted',
         'weak overlap', 'background', 'picture without the class')
#: :func:`kind_counts`' extra count: near misses of a box that another detection hits
FOUND = 'near miss of a found box'


def _overlaps(box: np.ndarray, gts: np.ndarray, legacy: bool) -> Tuple[np.ndarray, ...]:
    """IoU of ``box`` with each gt box, the share of each gt box it covers, and its share
    inside each gt box: mmdet's ``bbox_overlaps``, the function the metric's ``eval_map``
    matches with (the same float32 numbers at the threshold)."""
    from mmdet.evaluation.functional import bbox_overlaps
    one = box[None]
    return (bbox_overlaps(one, gts, 'iou', use_legacy_coordinate=legacy)[0],
            bbox_overlaps(gts, one, 'iof', use_legacy_coordinate=legacy)[:, 0],
            bbox_overlaps(one, gts, 'iof', use_legacy_coordinate=legacy)[0])


def detection_kinds(detections: Sequence[Tuple[float, Hashable, Sequence[float]]],
                    gts: Dict[Hashable, np.ndarray], iou_thr: float = 0.5,
                    near_iou: float = 0.3, cover: float = 0.8,
                    legacy: bool = True) -> List[dict]:
    """Name every detection of one class, in score order (see the module).

    Args:
        detections: ``(score, picture, box)`` per detection of the class, ``box`` as
            x1, y1, x2, y2 in the annotation's pixels.
        gts (dict): picture -> ``(K, 4)`` annotated boxes of the class (``K`` may be 0).
            Every picture of ``detections`` must be a key.
        iou_thr (float): IoU of a hit. Defaults to 0.5.
        near_iou (float): lowest IoU of a near miss. Defaults to 0.3.
        cover (float): share that makes a near miss larger (it covers that much of the
            box) or smaller (that much of it lies inside the box). Defaults to 0.8.
        legacy (bool): VOC's +1 pixel in widths and heights, as the project's metric
            (``use_legacy_coordinate``). Defaults to True.

    Returns:
        list[dict]: per detection, highest score first: ``score``, ``picture``, ``box``,
        ``kind`` (one of :data:`KINDS`), ``box_index`` (the annotated box it hit, duplicated or
        nearly missed, else None) and, for near misses, ``box_found`` (whether some
        detection hits that box).

    Raises:
        ValueError: thresholds out of order, or a picture missing from ``gts``.
    """
    if not 0 < near_iou <= iou_thr <= 1:
        raise ValueError(f'expected 0 < near_iou <= iou_thr <= 1, got near_iou={near_iou}, '
                         f'iou_thr={iou_thr}')
    missing = sorted({str(p) for _, p, _ in detections if p not in gts})
    if missing:
        raise ValueError(f'detections on pictures without annotations: {missing[:5]}'
                         + (f' and {len(missing) - 5} more' if len(missing) > 5 else ''))
    order = sorted(range(len(detections)), key=lambda i: -float(detections[i][0]))
    hit: Dict[Hashable, set] = {}
    out = []
    for i in order:
        score, picture, box = detections[i]
        boxes = np.asarray(gts[picture], np.float64).reshape(-1, 4)
        row = dict(score=float(score), picture=picture, box=np.asarray(box, np.float64),
                   box_index=None)
        out.append(row)
        if len(boxes) == 0:
            row['kind'] = 'picture without the class'
            continue
        iou, covered, inside = _overlaps(row['box'], boxes, legacy)
        k = int(iou.argmax())
        found = hit.setdefault(picture, set())
        if iou[k] >= iou_thr:
            # VOC: the best-overlapping box; a hit if no earlier detection took it
            row['box_index'] = k
            row['kind'] = 'duplicate' if k in found else 'hit'
            found.add(k)
        elif iou[k] >= near_iou:
            row['box_index'] = k
            row['kind'] = ('near miss, larger' if covered[k] >= cover else
                           'near miss, smaller' if inside[k] >= cover else
                           'near miss, shifted')
        else:
            row['kind'] = 'weak overlap' if iou[k] > 0 else 'background'
    for row in out:
        if row['kind'].startswith('near miss'):
            row['box_found'] = row['box_index'] in hit.get(row['picture'], set())
    return out


def kind_counts(rows: Sequence[dict], top: Optional[int] = None) -> Counter:
    """How many of the first ``top`` rows (all when None) are of each kind; near misses
    of a box that another detection hits also counted as ``near miss of a found box``.

    Example:
        >>> kind_counts([dict(kind='hit'), dict(kind='near miss, shifted', box_found=True)])
        Counter({'hit': 1, 'near miss, shifted': 1, 'near miss of a found box': 1})
    """
    counts = Counter()
    for row in rows[:top]:
        counts[row['kind']] += 1
        if row.get('box_found'):
            counts[FOUND] += 1
    return counts


def anatomy_table(name: str, rows: Sequence[dict], num_boxes: int,
                  tops: Sequence[float] = (1.0, 2.0)) -> List[str]:
    """Markdown lines: one class's kinds among its top-ranked detections.

    Args:
        name (str): The class.
        rows (list[dict]): :func:`detection_kinds`' output for it.
        num_boxes (int): Its annotated boxes in the split (N).
        tops (list[float]): Columns: the first ``t * N`` detections for each ``t``, then
            all of them.

    Returns:
        list[str]: The table's lines.

    Example:
        >>> rows = detection_kinds([(0.9, 'a', [0, 0, 9, 9])], {'a': np.array([[0, 0, 9, 9]])})
        >>> anatomy_table('crazing', rows, 1, tops=(1.0,))[2]
        '| hit | 1 (100 %) | 1 (100 %) |'
    """
    limits = [max(1, int(round(t * num_boxes))) for t in tops]
    heads = [f'top {n} (= {t:g} x boxes)' for n, t in zip(limits, tops)] + [f'all {len(rows)}']
    columns = [kind_counts(rows, n) for n in limits] + [kind_counts(rows)]
    sizes = [min(n, len(rows)) for n in limits] + [len(rows)]
    lines = [f'| {name}: {num_boxes} boxes | ' + ' | '.join(heads) + ' |',
             '|---|' + '---|' * len(heads)]
    labels = {kind: kind for kind in KINDS}
    labels[FOUND] = '(of those near misses: of a box another detection hits)'
    for kind, label in labels.items():
        if not any(c[kind] for c in columns):
            continue
        cells = [f'{c[kind]} ({c[kind] / max(n, 1):.0%})'.replace('%)', ' %)')
                 for c, n in zip(columns, sizes)]
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    if not rows:
        lines.append('| (no detections of this class) |' + ' |' * len(heads))
    return lines


__all__ = ['FOUND', 'KINDS', 'anatomy_table', 'detection_kinds', 'kind_counts']
