"""Picture-level detection: does the detector flag a class on the pictures that hold it?

A line alarm asks "is there crazing on this picture?", not "does the box match the
annotator's to IoU 0.5?". For a score threshold ``t``, a picture is *flagged* for a class
when one of its detections of that class scores ``>= t``:

* **recall**: the share of pictures holding the class (a non-difficult box of it) that are
  flagged for it;
* **false alarms**: the share of pictures without any box of the class (difficult ones
  included) that are flagged for it.

A picture whose only boxes of a class are difficult counts for neither.

Example:
    >>> import numpy as np
    >>> gts = [dict(labels=np.array([0])), dict(labels=np.array([1]))]
    >>> dets = [[np.array([[0, 0, 5, 5, .9]]), np.zeros((0, 5))],
    ...         [np.array([[0, 0, 5, 5, .4]]), np.zeros((0, 5))]]
    >>> r = picture_level(dets, gts, 0.3)
    >>> r['recall'], r['false_alarm']
    ([1.0, 0.0], [1.0, 0.0])
"""
from typing import Dict, List, Optional, Sequence

import numpy as np


def picture_level(dets: Sequence[Sequence[np.ndarray]], gts: Sequence[dict],
                  score_thr: float) -> Dict[str, List[float]]:
    """Per-class picture recall and false-alarm rate at ``score_thr`` (see the module).

    Args:
        dets: per picture, per class, ``(N, 5)`` x1, y1, x2, y2, score (mmdet's
            ``eval_map`` layout).
        gts: per picture, a dict with ``labels`` and optionally ``labels_ignore`` (the
            difficult boxes: a picture with only difficult boxes of a class counts
            neither for its recall nor for its false alarms).
        score_thr (float): the alarm threshold, in [0, 1].

    Returns:
        dict: ``recall`` and ``false_alarm`` (one float per class, NaN where no picture
        holds, or where every picture holds, the class), ``holding`` and ``without``
        (picture counts per class).

    Raises:
        ValueError: a threshold outside [0, 1], or as many detection lists as pictures not.
    """
    if not 0 <= score_thr <= 1:
        raise ValueError(f'picture-level score threshold must be in [0, 1], got {score_thr}')
    if len(dets) != len(gts):
        raise ValueError(f'{len(dets)} detection results for {len(gts)} annotated pictures')
    if not len(dets):
        return dict(recall=[], false_alarm=[], holding=[], without=[])
    num_classes = len(dets[0])
    holding = np.zeros(num_classes, int)
    without = np.zeros(num_classes, int)
    hits = np.zeros(num_classes, int)
    alarms = np.zeros(num_classes, int)
    for per_class, gt in zip(dets, gts):
        present = set(np.asarray(gt['labels']).astype(int).tolist())
        difficult = set(np.asarray(gt.get('labels_ignore', [])).astype(int).tolist())
        for c in range(num_classes):
            boxes = np.asarray(per_class[c]).reshape(-1, 5)
            flagged = bool((boxes[:, 4] >= score_thr).any())
            if c in present:
                holding[c] += 1
                hits[c] += flagged
            elif c not in difficult:  # a picture with only difficult boxes of c is neither
                without[c] += 1
                alarms[c] += flagged
    with np.errstate(invalid='ignore', divide='ignore'):
        recall = np.where(holding > 0, hits / np.maximum(holding, 1), np.nan)
        false_alarm = np.where(without > 0, alarms / np.maximum(without, 1), np.nan)
    return dict(recall=[float(v) for v in recall], false_alarm=[float(v) for v in false_alarm],
                holding=holding.tolist(), without=without.tolist())


def choose_thresholds(recall: Dict[float, Sequence[float]], min_recall: float,
                      margin_steps: int = 0,
                      false_alarm: Optional[Dict[float, Sequence[float]]] = None,
                      max_false_alarm: Optional[float] = None) -> List[Optional[float]]:
    """Per class, the highest threshold whose picture recall is at least ``min_recall``.

    A higher threshold raises fewer false alarms, so of the thresholds that keep the recall
    the highest is chosen; a class that no threshold keeps gets ``None``. That choice sits at
    the edge of what the val pictures allow (with 30 pictures of a class, one missed picture
    is 3 %), so ``margin_steps`` moves it that many thresholds of the grid lower (not below
    the lowest): fewer alarms lost on new pictures, at the cost of more false alarms. With
    ``max_false_alarm`` a class's threshold is then raised, step by step, until its false
    alarms are at most that share (a line cannot use an alarm raised on most clean pictures);
    where that costs recall, the recall printed beside it shows it.

    Args:
        recall: threshold -> picture recall per class (:func:`picture_level`'s ``recall``).
        min_recall (float): the recall to keep, in (0, 1].
        margin_steps (int): grid steps below the edge, >= 0. Defaults to 0.
        false_alarm: threshold -> false-alarm share per class (:func:`picture_level`'s
            ``false_alarm``); needed with ``max_false_alarm``.
        max_false_alarm (float, optional): the false alarms a class may raise, in [0, 1].

    Returns:
        list: one threshold (or None) per class.

    Example:
        >>> recall = {0.2: [1.0, 0.97], 0.3: [0.33, 0.97], 0.4: [0.1, 0.5]}
        >>> choose_thresholds(recall, 0.95), choose_thresholds(recall, 0.95, margin_steps=1)
        ([0.2, 0.3], [0.2, 0.2])
        >>> alarms = {0.2: [0.0, 0.4], 0.3: [0.0, 0.05], 0.4: [0.0, 0.0]}
        >>> choose_thresholds(recall, 0.95, 1, alarms, max_false_alarm=0.1)
        [0.2, 0.3]
    """
    if not 0 < min_recall <= 1:
        raise ValueError(f'min_recall must be in (0, 1], got {min_recall}')
    if not isinstance(margin_steps, int) or margin_steps < 0:
        raise ValueError(f'margin_steps must be an integer >= 0, got {margin_steps!r}')
    if max_false_alarm is not None:
        if not 0 <= max_false_alarm <= 1:
            raise ValueError(f'max_false_alarm must be in [0, 1], got {max_false_alarm}')
        if false_alarm is None or set(false_alarm) != set(recall):
            raise ValueError('max_false_alarm needs the false alarms at the same thresholds '
                             'as the recall')
    if not recall:
        raise ValueError('no threshold to choose from')
    sizes = {len(v) for v in recall.values()}
    if len(sizes) != 1:
        raise ValueError(f'the thresholds give recalls for different numbers of classes: '
                         f'{sorted(sizes)}')
    grid = sorted(recall)
    chosen: List[Optional[int]] = [None] * sizes.pop()
    for i, thr in enumerate(grid):
        for c, value in enumerate(recall[thr]):
            if value >= min_recall:  # NaN (no picture holds the class) never qualifies
                chosen[c] = i
    out: List[Optional[float]] = []
    for c, i in enumerate(chosen):
        if i is None:
            out.append(None)
            continue
        i = max(0, i - margin_steps)
        while (max_false_alarm is not None and i < len(grid) - 1
               and false_alarm[grid[i]][c] > max_false_alarm):
            i += 1
        out.append(grid[i])
    return out
