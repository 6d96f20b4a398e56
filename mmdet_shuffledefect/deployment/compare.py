"""Are two sets of detections the same? Exact up to score ties, boxes within a tolerance.

Two paths that compute the same detector (the batched heads and mmdet's stock
head, PyTorch and onnxruntime) may order detections of *exactly tied* scores
differently, and a ``max_per_img`` cut that falls inside a tie may keep another
member of it. Nothing else may differ: the same number of detections, the same
labels, scores within ``score_atol`` and boxes within ``box_atol`` px. Ties are
counted and reported, not absorbed by a percentage budget.

Example:
    >>> import numpy as np
    >>> boxes = np.array([[0, 0, 10, 10], [5, 5, 20, 20]], np.float32)
    >>> r = compare_detections(boxes, np.array([.9, .8]), np.array([1, 2]),
    ...                        boxes[::-1] + 1e-5, np.array([.8, .9]), np.array([2, 1]))
    >>> r['same'], r['ties']
    (True, 0)
"""
from typing import Dict

import numpy as np


def _order(boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray,
           score_atol: float) -> np.ndarray:
    quantised = np.round(scores / score_atol)
    keys = [boxes[:, 3], boxes[:, 2], boxes[:, 1], boxes[:, 0], labels, -quantised]
    return np.lexsort(keys)


def compare_detections(got_boxes, got_scores, got_labels, want_boxes, want_scores,
                       want_labels, score_atol: float = 1e-5,
                       box_atol: float = 1e-4) -> Dict:
    """Compare detections of one image.

    Returns:
        dict: ``same`` (bool), ``ties`` (detections whose score equals another's),
        ``count`` (got, want), ``max_box_diff``, ``max_score_diff`` and ``message``.
    """
    gb, gs, gl = (np.asarray(x) for x in (got_boxes, got_scores, got_labels))
    wb, ws, wl = (np.asarray(x) for x in (want_boxes, want_scores, want_labels))
    go, wo = _order(gb, gs, gl, score_atol), _order(wb, ws, wl, score_atol)
    gb, gs, gl, wb, ws, wl = gb[go], gs[go], gl[go], wb[wo], ws[wo], wl[wo]
    quantised = np.round(ws / score_atol)
    _, counts = np.unique(quantised, return_counts=True)
    ties = int(counts[counts > 1].sum())
    n = min(len(gs), len(ws))
    problems = []
    if len(gs) != len(ws):
        longer = gs if len(gs) > len(ws) else ws
        cut_in_tie = n > 0 and abs(longer[n] - longer[n - 1]) <= score_atol
        if not cut_in_tie:
            problems.append(f'{len(gs)} detections vs {len(ws)}')
        else:  # the last tied group may hold other members: compare the full groups
            n = int(np.sum(np.round(longer[:n] / score_atol)
                           != np.round(longer[n - 1] / score_atol)))
    label_diff = int((gl[:n] != wl[:n]).sum())
    score_diff = float(np.abs(gs[:n] - ws[:n]).max()) if n else 0.0
    same_label = gl[:n] == wl[:n]
    box_diff = float(np.abs(gb[:n] - wb[:n])[same_label].max()) if same_label.any() else 0.0
    if label_diff:
        problems.append(f'{label_diff} of {n} labels differ')
    if score_diff > score_atol:
        problems.append(f'scores differ by up to {score_diff:.2e} (> {score_atol:g})')
    if box_diff > box_atol:
        problems.append(f'boxes differ by up to {box_diff:.2e} px (> {box_atol:g})')
    message = '; '.join(problems) or (f'same {n} detections (boxes within {box_diff:.1e} px, '
                                      f'{ties} in score ties)')
    return dict(same=not problems, ties=ties, count=(len(got_scores), len(want_scores)),
                max_box_diff=box_diff, max_score_diff=score_diff, message=message)
