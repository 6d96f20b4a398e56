"""Annotated pictures: the detections drawn with mmengine's visualizer, one colour per
class, labels placed so that none covers another.
"""
import warnings
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmdet.visualization import DetLocalVisualizer
from mmdet.visualization.palette import get_palette


def inspection_visualizer(classes: Sequence[str], palette: Sequence):
    """mmdet's ``DetLocalVisualizer`` set up for ``classes`` (one per process)."""
    vis = DetLocalVisualizer.get_instance('mmdet_shuffledefect_inspection')
    if isinstance(palette, str) or len(palette) < len(classes):
        palette = 'random'  # mmdet's seeded palette: the same colours every run
    vis.dataset_meta = {'classes': tuple(classes), 'palette': palette}
    return vis



def place_labels(boxes: np.ndarray, sizes: Sequence[Tuple[float, float]], width: int,
                 height: int) -> List[Optional[Tuple[float, float]]]:
    """Top-left corners for the label of every box, best box first, so that no label
    covers another.

    Each label tries, in turn: above the box's top-left corner, inside it, below it,
    then the same at the box's right edge, each slid down a label height at a time
    while it overlaps a label placed before; the first spot inside the picture that
    overlaps none wins. Where there is none (a crowd of boxes), the label is left out
    (None): the box is still drawn and the reports list it.

    Args:
        boxes (np.ndarray): ``(N, 4)`` boxes, in the order the labels are placed.
        sizes: ``(width, height)`` of each label in px.
        width, height (int): The picture's size.

    Returns:
        list: ``(x, y)`` of each label, or None where it is left out.

    Example:
        >>> place_labels(np.array([[10, 30, 60, 60], [12, 32, 62, 62]]), [(40, 12)] * 2, 200, 200)
        [(10.0, 18.0), (12.0, 32.0)]
    """
    placed: List[Tuple[float, float, float, float]] = []

    def free(x, y, w, h):
        return all(x + w <= a or a + c <= x or y + h <= b or b + d <= y for a, b, c, d in placed)

    out: List[Optional[Tuple[float, float]]] = []
    for (x1, y1, x2, y2), (w, h) in zip(np.asarray(boxes, float).reshape(-1, 4), sizes):
        spot = None
        if w <= width and h <= height:
            for x, y in [(x1, y1 - h), (x1, y1), (x1, y2), (x2 - w, y1 - h), (x2 - w, y1),
                         (x2 - w, y2)]:
                x, y = min(max(x, 0.0), width - w), min(max(y, 0.0), height - h)
                while not free(x, y, w, h) and y + h < height:
                    y = min(y + h, height - h)
                if free(x, y, w, h):
                    spot = (float(x), float(y))
                    break
        if spot is not None:
            placed.append((spot[0], spot[1], w, h))
        out.append(spot)
    return out



def draw(img: np.ndarray, boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray,
         classes: Sequence[str], palette: Sequence) -> np.ndarray:
    """A BGR copy of ``img`` (BGR) with the detections drawn with mmengine's visualizer:
    one colour per class, labels ``class 0.87`` (scores 0..1, as in the reports) placed
    so they do not cover each other (:func:`place_labels`; in a crowd the labels of the
    weaker boxes are left out), best detection on top."""
    vis = inspection_visualizer(classes, palette)
    vis.set_image(np.ascontiguousarray(img[..., ::-1]))
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    scores, labels = np.asarray(scores, np.float32), np.asarray(labels, np.int64)
    if len(boxes):
        order = np.argsort(-scores, kind='stable')
        boxes, scores, labels = boxes[order], scores[order], labels[order]
        colours = get_palette(vis.dataset_meta['palette'], len(classes))
        colour = [tuple(int(c) for c in colours[i]) for i in labels]
        height, width = img.shape[:2]
        font = int(np.clip(min(height, width) / 18, 8, 14))
        texts = [f'{classes[i]} {s:.2f}' for i, s in zip(labels, scores)]
        # the rendered size of a label (mmengine draws DejaVu Sans), with its background
        sizes = [(0.75 * font * len(t) + 6, 1.5 * font + 4) for t in texts]
        spots = place_labels(boxes, sizes, width, height)
        with warnings.catch_warnings():
            # mmengine calls a box "out of bounds" when a corner equals the picture's width
            # or height, i.e. every box the head clipped to the border; it is drawn right
            warnings.filterwarnings('ignore', message='Warning: The bbox is out of bounds')
            vis.draw_bboxes(torch.as_tensor(boxes[::-1].copy()), edge_colors=colour[::-1],
                            line_widths=max(1, font // 7))
            shown = [i for i in range(len(texts)) if spots[i] is not None][::-1]
            if shown:
                vis.draw_texts([texts[i] for i in shown],
                               np.array([spots[i] for i in shown]) + 3, colors='white',
                               font_sizes=font, vertical_alignments='top',
                               bboxes=[dict(facecolor=tuple(v / 255 for v in colour[i]),
                                            alpha=0.75, pad=0.6, edgecolor='none')
                                       for i in shown])
    return np.ascontiguousarray(vis.get_image()[..., ::-1])
