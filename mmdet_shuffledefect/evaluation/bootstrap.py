"""How much a test mAP@0.5 would move on another test set: a bootstrap over images.

A test split of 60 images gives an mAP that moves by several points from one
draw of images to the next; quoting it alone invites reading noise as a
regression. :func:`bootstrap_map` matches every image's detections to its
ground truth once (mmdet's ``tpfp_default``, VOC legacy coordinates, difficult
boxes ignored, as :class:`~.NEUVOCMetric`), then recomputes the VOC mAP on
``resamples`` sets of images drawn with replacement, and returns the interval
holding the middle 95 % of them. Without resampling it gives mmdet's
``eval_map`` value exactly (tested).

Example:
    >>> import numpy as np
    >>> dets = [[np.array([[0, 0, 10, 10, .9]], np.float32)]] * 4
    >>> anns = [dict(bboxes=np.array([[0, 0, 10, 10]], np.float32), labels=np.array([0]),
    ...              bboxes_ignore=np.zeros((0, 4), np.float32),
    ...              labels_ignore=np.zeros(0, int))] * 4
    >>> out = bootstrap_map(dets, anns, resamples=20)
    >>> out['mAP'], out['low'], out['high']
    (1.0, 1.0, 1.0)
"""
from typing import Dict, List, Sequence

import numpy as np


def image_matches(det_results: Sequence[Sequence[np.ndarray]], annotations: Sequence[dict],
                  iou_thr: float = 0.5) -> List[List[tuple]]:
    """Per class, per image: ``(scores, tp, fp, num_gts)`` of mmdet's VOC matching.

    Args:
        det_results: Per image, per class ``(n, 5)`` boxes with scores (mmdet's
            ``eval_map`` input).
        annotations: Per image ``bboxes``, ``labels``, ``bboxes_ignore``,
            ``labels_ignore``.
        iou_thr (float): IoU for a true positive.

    Returns:
        list: ``matches[c][i]`` for class ``c`` and image ``i``.
    """
    from mmdet.evaluation.functional.mean_ap import get_cls_results, tpfp_default
    if len(det_results) != len(annotations):
        raise ValueError(f'{len(det_results)} detection results for {len(annotations)} '
                         'annotated images: expected one of each per image')
    if not det_results:
        raise ValueError('no image to evaluate')
    matches = []
    for c in range(len(det_results[0])):
        dets, gts, ignores = get_cls_results(det_results, annotations, c)
        per_image = []
        for det, gt, ignore in zip(dets, gts, ignores):
            tp, fp = tpfp_default(det, gt, ignore, iou_thr, None, True)
            per_image.append((det[:, -1], tp[0], fp[0], gt.shape[0]))
        matches.append(per_image)
    return matches


def map_of_images(matches: List[List[tuple]], images: Sequence[int],
                  eval_mode: str = 'area') -> float:
    """VOC mAP of the images ``images`` (indices, repeats allowed): ``eval_map``'s
    sort, cumulative sums and AP, classes without ground truth left out."""
    from mmdet.evaluation.functional.mean_ap import average_precision
    eps = np.finfo(np.float32).eps
    aps = []
    for per_image in matches:
        parts = [per_image[i] for i in images]
        num_gts = sum(p[3] for p in parts)
        if num_gts == 0:
            continue
        scores = np.concatenate([p[0] for p in parts])
        order = np.argsort(-scores)
        tp = np.cumsum(np.concatenate([p[1] for p in parts])[order])
        fp = np.cumsum(np.concatenate([p[2] for p in parts])[order])
        recalls = tp / max(num_gts, eps)
        precisions = tp / np.maximum(tp + fp, eps)
        aps.append(float(average_precision(recalls, precisions, eval_mode)))
    return float(np.mean(aps)) if aps else 0.0


def bootstrap_map(det_results, annotations, iou_thr: float = 0.5, resamples: int = 200,
                  seed: int = 0, eval_mode: str = 'area') -> Dict[str, float]:
    """The test mAP and the 2.5-97.5 percentile interval of its bootstrap over images.

    Args:
        det_results, annotations: As mmdet's ``eval_map``.
        iou_thr (float): IoU for a true positive. Defaults to 0.5.
        resamples (int): Sets of images drawn with replacement. Defaults to 200.
        seed (int): Seed of the draws. Defaults to 0.
        eval_mode (str): ``'area'`` or ``'11points'``.

    Returns:
        dict: ``mAP`` (all images), ``low``, ``high`` (the interval), ``std``
        (of the resampled values), ``resamples``, ``images``.
    """
    if resamples < 1:
        raise ValueError(f'resamples must be >= 1, got {resamples}')
    matches = image_matches(det_results, annotations, iou_thr)
    count = len(det_results)
    rng = np.random.default_rng(seed)
    values = np.array([map_of_images(matches, rng.integers(0, count, count), eval_mode)
                       for _ in range(resamples)])
    return dict(mAP=map_of_images(matches, range(count), eval_mode),
                low=float(np.percentile(values, 2.5)), high=float(np.percentile(values, 97.5)),
                std=float(values.std()), resamples=resamples, images=count)
