"""Are two sets of detections the same? Exact up to score ties, boxes within a tolerance.

Two paths that compute the same detector (the batched heads and mmdet's stock
head, PyTorch and onnxruntime) may order detections of tied scores differently,
and a ``max_per_img`` cut that falls inside a tie may keep another member of it.
Nothing else may differ: each detection of one side is matched to one of the
other with the same label, a score within ``score_atol`` and a box within
``box_atol`` px. The only detections left without a partner may be members of a
score tie at the bottom of the lists (a cut inside the tie). Ties are counted and
reported, not absorbed by a percentage budget.

Detections are matched, not sorted and compared rank by rank, so two scores a
hair apart on either side of a rounding step (``0.12345049`` and ``0.12345051``
with ``score_atol=1e-5``) cannot shuffle the ranks of everything around them.

:func:`compare_best_untied` is the weaker check for untrained heads, which score
many locations alike: when NMS meets such a tie, the runtime that keeps the other
member suppresses other boxes, and every rank below differs legitimately.

Example:
    >>> import numpy as np
    >>> boxes = np.array([[0, 0, 10, 10], [5, 5, 20, 20]], np.float32)
    >>> r = compare_detections(boxes, np.array([.9, .8]), np.array([1, 2]),
    ...                        boxes[::-1] + 1e-5, np.array([.8, .9]), np.array([2, 1]))
    >>> r['same'], r['ties']
    (True, 0)
"""
from typing import Dict, List, Optional, Tuple

import numpy as np


def _as_arrays(boxes, scores, labels, side: str) -> Tuple[np.ndarray, ...]:
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    scores = np.asarray(scores, np.float64).reshape(-1)
    labels = np.asarray(labels).reshape(-1)
    if not len(boxes) == len(scores) == len(labels):
        raise ValueError(f'{side}: {len(boxes)} boxes, {len(scores)} scores and '
                         f'{len(labels)} labels; expected one of each per detection')
    order = np.argsort(-scores, kind='stable')
    return boxes[order], scores[order], labels[order]


def tie_groups(scores: np.ndarray, score_atol: float) -> np.ndarray:
    """Group ids of scores sorted best first: neighbours within ``score_atol`` share one.

    Example:
        >>> tie_groups(np.array([.9, .5, .5 - 1e-7, .3]), 1e-6).tolist()
        [0, 1, 1, 2]
    """
    if len(scores) == 0:
        return np.zeros(0, np.int64)
    return np.concatenate([[0], np.cumsum(np.abs(np.diff(scores)) > score_atol)])


def _same_label_and_score(gs, gl, label, score, score_atol: float) -> np.ndarray:
    """Mask of the checked detections with ``label`` and a score within ``score_atol``."""
    return (gl == label) & (np.abs(gs - score) <= score_atol)


def _match(gb, gs, gl, wb, ws, wl, score_atol: float) -> List[Tuple[int, int, float]]:
    """Pair each wanted detection (best first) with an unpaired one of the same label
    and a score within ``score_atol``, the nearest box first; (want, got, box diff)."""
    free = np.ones(len(gs), bool)
    pairs = []
    for i in range(len(ws)):
        candidates = np.flatnonzero(free & _same_label_and_score(gs, gl, wl[i], ws[i],
                                                                 score_atol))
        if not len(candidates):
            continue
        diffs = np.abs(gb[candidates] - wb[i]).max(axis=1)
        j = int(candidates[np.argmin(diffs)])
        free[j] = False
        pairs.append((i, j, float(diffs.min())))
    return pairs


def _unpaired_problem(got: tuple, want: tuple, lone_g: np.ndarray, lone_w: np.ndarray,
                      score_atol: float, max_per_img: Optional[int]) -> Optional[str]:
    """What is wrong with the detections left without a partner, or None where they are
    all members of the bottom score tie on a side where a cut may have fallen."""
    (gb, gs, gl), (wb, ws, wl) = got, want
    if not len(lone_w) and not len(lone_g):
        return None
    lone_scores = np.concatenate([ws[lone_w], gs[lone_g]])
    bottom = min(ws.min() if len(ws) else np.inf, gs.min() if len(gs) else np.inf)
    # every unpaired detection sits in the bottom score tie, which has more than one
    # member in the two lists together: a cut inside the tie kept other members of it
    in_bottom_tie = bool((lone_scores <= bottom + score_atol).all()) and (
        int((ws <= bottom + score_atol).sum())
        + int((gs[lone_g] <= bottom + score_atol).sum())) > 1
    if max_per_img is None:  # only the longer list may hold tied members the other cut
        cut_sides_ok = (not len(lone_w) or not len(lone_g)) and (
            len(gs) > len(ws) if len(lone_g) else len(ws) > len(gs))
    else:
        cut_sides_ok = all(count == max_per_img for count, lone in
                           ((len(gs), lone_g), (len(ws), lone_w)) if len(lone))
    if in_bottom_tie and cut_sides_ok:
        return None
    side, box, score, label = ([('wanted', wb[i], ws[i], wl[i]) for i in lone_w]
                               + [('checked', gb[j], gs[j], gl[j]) for j in lone_g])[0]
    return (f'{len(lone_w)} wanted and {len(lone_g)} checked detections have no partner '
            f'(same label, score within {score_atol:g}); first: {side} label {label} '
            f'score {score:.6f} at {[round(float(v), 2) for v in box]}'
            + (f' ({len(gs)} detections vs {len(ws)})' if len(gs) != len(ws) else ''))


def compare_detections(got_boxes, got_scores, got_labels, want_boxes, want_scores,
                       want_labels, score_atol: float = 1e-5, box_atol: float = 1e-4,
                       max_per_img: Optional[int] = None) -> Dict:
    """Compare the detections of one image.

    Args:
        got_boxes, got_scores, got_labels: the detections to check, ``(N, 4)``
            x1y1x2y2, ``(N,)`` and ``(N,)``; any order.
        want_boxes, want_scores, want_labels: the reference detections.
        score_atol (float): scores this close are the same score (and tied).
            Defaults to 1e-5.
        box_atol (float): largest allowed box coordinate difference in px.
            Defaults to 1e-4.
        max_per_img (int, optional): the detector's cap. Where given, detections
            without a partner are allowed on a side that holds exactly this many
            (a cut happened there), if they are members of the bottom score tie;
            without it, only the longer list may hold such unpaired members.
            Defaults to None.

    Returns:
        dict: ``same`` (bool), ``ties`` (reference detections whose score is
        within ``score_atol`` of another's), ``count`` (got, want),
        ``unmatched`` (got, want), ``max_box_diff``, ``max_score_diff`` and
        ``message``.

    Example:
        >>> import numpy as np
        >>> box = np.array([[0, 0, 8, 8]], np.float32)
        >>> compare_detections(box, [.5], [0], box, [.5], [1])['message'].split('first: ')[1]
        'wanted label 1 score 0.500000 at [0.0, 0.0, 8.0, 8.0]'
    """
    if score_atol < 0 or box_atol < 0:
        raise ValueError(f'tolerances must be >= 0, got score_atol={score_atol}, '
                         f'box_atol={box_atol}')
    gb, gs, gl = _as_arrays(got_boxes, got_scores, got_labels, 'got')
    wb, ws, wl = _as_arrays(want_boxes, want_scores, want_labels, 'want')
    groups = tie_groups(ws, score_atol)
    sizes = np.bincount(groups)
    ties = int(sizes[sizes > 1].sum())

    pairs = _match(gb, gs, gl, wb, ws, wl, score_atol)
    paired_w = np.zeros(len(ws), bool)
    paired_g = np.zeros(len(gs), bool)
    for i, j, _ in pairs:
        paired_w[i], paired_g[j] = True, True
    box_diff = max((d for _, _, d in pairs), default=0.0)
    score_diff = max((abs(gs[j] - ws[i]) for i, j, _ in pairs), default=0.0)

    lone_w, lone_g = np.flatnonzero(~paired_w), np.flatnonzero(~paired_g)
    problem = _unpaired_problem((gb, gs, gl), (wb, ws, wl), lone_g, lone_w, score_atol,
                                max_per_img)
    problems = [problem] if problem else []
    if box_diff > box_atol:
        problems.append(f'boxes differ by up to {box_diff:.2e} px (> {box_atol:g})')
    message = '; '.join(problems) or (
        f'same {len(pairs)} detections (boxes within {box_diff:.1e} px, {ties} in score ties'
        + (f', {len(lone_w) + len(lone_g)} unpaired in the bottom tie)'
           if len(lone_w) + len(lone_g) else ')'))
    return dict(same=not problems, ties=ties, count=(len(gs), len(ws)),
                unmatched=(len(lone_g), len(lone_w)), max_box_diff=box_diff,
                max_score_diff=float(score_diff), message=message)


def compare_best_untied(got_boxes, got_scores, got_labels, want_boxes, want_scores,
                        want_labels, best: int = 20, score_atol: float = 2e-5,
                        box_atol: float = 2e-3, tie_atol: float = 1e-6,
                        min_untied: int = 3) -> Dict:
    """Check that the ``best`` reference detections whose score no other detection
    shares are all among the checked ones (same label, score and box within tolerance).

    For untrained heads, whose many tied scores let runtimes keep different members
    of a tie through NMS: only detections above such choices are certain.

    Args:
        best (int): how many of the reference's best detections to look at.
            Defaults to 20.
        score_atol (float): score tolerance. Defaults to 2e-5.
        box_atol (float): box tolerance in px. Defaults to 2e-3.
        tie_atol (float): scores this close count as tied (the runtimes may order
            them either way). Defaults to 1e-6.
        min_untied (int): fewer untied detections than this among the ``best`` is a
            failure (the check would say nothing). Defaults to 3.

    Returns:
        dict: ``same``, ``checked`` (untied detections looked for) and ``message``.

    Example:
        >>> import numpy as np
        >>> b = np.array([[0, 0, 8, 8], [4, 4, 9, 9], [1, 1, 5, 5]], np.float32)
        >>> r = compare_best_untied(b[:2], [.9, .7], [0, 1], b, [.9, .7, .7], [0, 1, 1],
        ...                         min_untied=1)
        >>> r['same'], r['checked']
        (True, 1)
    """
    gb, gs, gl = _as_arrays(got_boxes, got_scores, got_labels, 'got')
    wb, ws, wl = _as_arrays(want_boxes, want_scores, want_labels, 'want')
    untied = [i for i in range(min(best, len(ws)))
              if (np.abs(ws - ws[i]) <= tie_atol).sum() == 1]
    if len(untied) < min_untied:
        return dict(same=False, checked=len(untied),
                    message=f'only {len(untied)} untied detections among the best {best} '
                            f'(need {min_untied}): nothing to compare')
    for i in untied:
        hit = (_same_label_and_score(gs, gl, wl[i], ws[i], score_atol)
               & (np.abs(gb - wb[i]).max(axis=1) <= box_atol))
        if not hit.any():
            return dict(same=False, checked=len(untied),
                        message=f'reference detection label {wl[i]} score {ws[i]:.6f} at '
                                f'{[round(float(v), 3) for v in wb[i]]} is missing')
    return dict(same=True, checked=len(untied),
                message=f'the best {len(untied)} untied detections found')
