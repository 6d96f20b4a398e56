"""How much of a class's AP is the annotators' box convention: score the same predictions
against the annotated boxes and against those boxes with every overlapping group merged.

NEU-DET's annotators box a texture (crazing, rolled-in scale) as two to four overlapping
boxes where a detector predicts one region. Merging each picture's overlapping boxes of a
class into the box that encloses them gives the other convention; the AP of the same
predictions under both says how much of the class's AP is the convention rather than
finding the defect (issue #48).

Example:
    >>> import numpy as np
    >>> merge_overlapping(np.array([[0, 0, 10, 10], [5, 5, 20, 12], [30, 30, 40, 40]]))
    array([[ 0.,  0., 20., 12.],
           [30., 30., 40., 40.]])
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np


def merge_overlapping(boxes: np.ndarray) -> np.ndarray:
    """Each group of boxes linked by overlaps (sharing area, directly or through others of
    the group) replaced by the box enclosing the group; a box overlapping none stays.

    Args:
        boxes (np.ndarray): ``(n, 4)`` corners ``x1, y1, x2, y2``.

    Returns:
        np.ndarray: ``(m, 4)`` float64 boxes, ``m <= n``, in the order of each group's
        first box.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    parent = list(range(len(boxes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            if min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1]):
                parent[root(j)] = root(i)
    groups: Dict[int, List[int]] = {}
    for i in range(len(boxes)):
        groups.setdefault(root(i), []).append(i)
    return np.array([[boxes[g, 0].min(), boxes[g, 1].min(), boxes[g, 2].max(),
                      boxes[g, 3].max()] for g in groups.values()], np.float64).reshape(-1, 4)


def eval_annotations(instances: Sequence[Sequence[dict]], merge_labels: Sequence[int] = ()
                     ) -> List[dict]:
    """mmdet ``eval_map`` annotations (``bboxes``, ``labels``, ``bboxes_ignore``,
    ``labels_ignore``) per picture from its dataset ``instances``, the boxes of
    ``merge_labels`` merged by :func:`merge_overlapping` (ignored boxes kept as they are)."""
    out = []
    for picture in instances:
        kept = [i for i in picture if not i.get('ignore_flag', 0)]
        ignored = [i for i in picture if i.get('ignore_flag', 0)]
        labels = sorted({i['bbox_label'] for i in kept})
        boxes, box_labels = [], []
        for label in labels:
            mine = np.array([i['bbox'] for i in kept if i['bbox_label'] == label], np.float64)
            if label in merge_labels:
                mine = merge_overlapping(mine)
            boxes.append(mine)
            box_labels += [label] * len(mine)
        out.append(dict(
            bboxes=np.concatenate(boxes).astype(np.float32) if boxes
            else np.zeros((0, 4), np.float32),
            labels=np.array(box_labels, np.int64),
            bboxes_ignore=np.array([i['bbox'] for i in ignored], np.float32).reshape(-1, 4),
            labels_ignore=np.array([i['bbox_label'] for i in ignored], np.int64)))
    return out


def eval_detections(arrays: Sequence[Tuple[str, np.ndarray, np.ndarray, np.ndarray]],
                    pictures: Sequence[str], num_classes: int) -> List[List[np.ndarray]]:
    """mmdet ``eval_map`` detections: per picture of ``pictures`` (in that order), per
    class, ``(n, 5)`` boxes with scores, from ``prediction_arrays`` output; a picture
    without predictions gets empty arrays.

    Raises:
        ValueError: a predicted picture is not one of ``pictures``.
    """
    by_picture = {a[0]: a for a in arrays}
    strays = sorted(set(by_picture) - set(pictures))
    if strays:
        raise ValueError(f'{len(strays)} predicted picture(s) are not in the split '
                         f'(e.g. {strays[0]})')
    out = []
    for picture in pictures:
        if picture not in by_picture:
            out.append([np.zeros((0, 5), np.float32) for _ in range(num_classes)])
            continue
        _, labels, scores, boxes = by_picture[picture]
        out.append([np.hstack([boxes[labels == c], scores[labels == c, None]]).astype(
            np.float32).reshape(-1, 5) for c in range(num_classes)])
    return out


def convention_rows(detections: List[List[np.ndarray]], instances: Sequence[Sequence[dict]],
                    classes: Sequence[str], merge: Sequence[str],
                    iou_thr: float = 0.5) -> List[dict]:
    """Per class: annotated boxes, boxes after merging, AP against each (VOC area mode,
    legacy coordinates, as the project's metric); the last row is the mean.

    Raises:
        ValueError: a class of ``merge`` is not in ``classes``.
    """
    from mmdet.evaluation.functional import eval_map
    unknown = [c for c in merge if c not in classes]
    if unknown:
        raise ValueError(f'not a class of the dataset: {", ".join(unknown)}; its classes: '
                         f'{", ".join(classes)}')
    merge_labels = [classes.index(c) for c in merge]
    results = []
    for labels in ((), merge_labels):
        anns = eval_annotations(instances, labels)
        mean_ap, per_class = eval_map(detections, anns, iou_thr=iou_thr, eval_mode='area',
                                      use_legacy_coordinate=True, logger='silent')
        results.append((mean_ap, per_class))
    (_, before), (_, after) = results
    rows = []
    for c, name in enumerate(classes):
        rows.append(dict(name=name, merged=c in merge_labels, boxes=int(before[c]['num_gts']),
                         merged_boxes=int(after[c]['num_gts']),
                         ap=float(before[c]['ap']), merged_ap=float(after[c]['ap'])))
    rows.append(dict(name='mean', merged=bool(merge_labels),
                     boxes=sum(r['boxes'] for r in rows),
                     merged_boxes=sum(r['merged_boxes'] for r in rows),
                     ap=float(results[0][0]), merged_ap=float(results[1][0])))
    return rows


def convention_table(rows: List[dict]) -> List[str]:
    """Markdown lines of :func:`convention_rows`."""
    lines = ['| class | annotated boxes | after merging overlaps | AP@0.5, annotated | '
             'AP@0.5, merged | change |', '|---|---|---|---|---|---|']
    for r in rows:
        name = f"**{r['name']}**" if r['merged'] and r['name'] != 'mean' else r['name']
        lines.append(f"| {name} | {r['boxes']} | {r['merged_boxes']} | {r['ap']:.4f} | "
                     f"{r['merged_ap']:.4f} | {r['merged_ap'] - r['ap']:+.4f} |")
    return lines
