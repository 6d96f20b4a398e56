"""The post-processing the exported (ONNX) whole detector runs: a fixed-shape graph
with the detections of mmdet's ``predict_by_feat``.

The PyTorch path (:func:`~.batched_post_process.batched_detections`) works on
candidates of data-dependent number and a compiled NMS; a graph needs fixed
shapes and ONNX's ``NonMaxSuppression``. Built so that the runtime does as
little per-anchor and layout work as the result allows:

1. every level's class logits go channel-last once and are concatenated, so
   one ``Softmax`` (SSD: over the classes and background, the contiguous last
   axis) or one ``Sigmoid`` serves all anchors of the batch;
2. every anchor is decoded once (``N`` anchors, not ``nms_pre`` candidates per
   level and class) from the concatenated deltas, the anchors' centres and sizes
   being constants of the graph; one ``Clip`` to a square input;
3. mmdet's per-level ``nms_pre`` cut: on a level with more (anchor, class)
   scores than ``nms_pre``, a ``TopK`` picks the ``nms_pre`` best, mmdet's
   ``min_bbox_size`` filter runs on those only, and a ``ScatterElements`` writes
   them back in place (the rest -1); a level with fewer is taken whole, with no
   ``TopK`` at all;
4. ``NonMaxSuppression`` runs on the anchors' boxes with the per-class scores
   ``(B, C, N)`` directly (ONNX's NMS is per image and class over shared boxes:
   no gathering of candidate boxes, no scatter into a per-class tensor), its
   ``score_threshold`` doing mmdet's ``score_thr`` filter;
5. the survivors' scores go back into a ``(B, C * N)`` tensor and one
   ``TopK(max_per_img)`` per image gives the best ``max_per_img`` by score,
   sorted, with their class and anchor.

Each step keeps exactly the (anchor, class) pairs mmdet keeps (its
``filter_scores_and_topk``, class-aware ``batched_nms`` and ``max_per_img``),
so detections equal the PyTorch path's up to exact score ties.

Example:
    >>> import torch
    >>> from mmdet_shuffledefect.models.dense_heads import FastSSDHead
    >>> head = FastSSDHead(num_classes=2, in_channels=(8, 8), anchor_generator=dict(
    ...     type='SSDAnchorGenerator', scale_major=False, input_size=64, strides=[16, 32],
    ...     ratios=[[2], [2]], min_sizes=[16, 32], max_sizes=[32, 64]),
    ...     test_cfg=dict(nms_pre=10, nms=dict(type='nms', iou_threshold=0.45),
    ...                   min_bbox_size=0, score_thr=0.02, max_per_img=5)).eval()
    >>> cls_scores, bbox_preds = head((torch.rand(2, 8, 4, 4), torch.rand(2, 8, 2, 2)))
    >>> dets, labels = exported_detections(head, cls_scores, bbox_preds, (64, 64),
    ...                                    head.test_cfg)
    >>> dets.shape, labels.shape
    (torch.Size([2, 5, 5]), torch.Size([2, 5]))
"""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .batched_post_process import MultiClassNMSOp, cached_priors


def channel_last(maps: Sequence[Tensor], channels: int) -> Tensor:
    """Per-level ``(B, A * channels, H, W)`` maps -> ``(B, N, channels)`` in mmdet's prior
    order (position-major, then anchor), all levels concatenated.

    Example:
        >>> channel_last([torch.zeros(2, 6, 3, 3), torch.zeros(2, 6, 1, 1)], 3).shape
        torch.Size([2, 20, 3])
    """
    batch = maps[0].shape[0]
    return torch.cat([m.permute(0, 2, 3, 1).reshape(batch, -1, channels) for m in maps], dim=1)


def level_top_k(flat: Tensor, level_sizes: Sequence[int], nms_pre: int,
                num_classes: int = 1, valid: Optional[Tensor] = None) -> Tensor:
    """mmdet's per-level ``nms_pre`` cut on ``(B, sum(level_sizes))`` scores: on each
    level with more scores than ``nms_pre``, all but its ``nms_pre`` best set to -1;
    then, where ``valid`` is given, the scores of invalid anchors set to -1 (mmdet's
    ``min_bbox_size`` filter, which runs after the cut), on the kept scores only.

    Args:
        flat (Tensor): ``(B, S)`` scores (anchor-major, class-minor), levels in order.
        level_sizes (Sequence[int]): Scores of each level (anchors x classes).
        nms_pre (int): Scores kept per level and image (<= 0: all).
        num_classes (int): Classes per anchor (to map a score to its anchor).
        valid (Tensor, optional): ``(B, S // num_classes)`` anchors that may be kept.

    Returns:
        Tensor: ``(B, S)``, the kept scores in place, -1 elsewhere.

    Example:
        >>> level_top_k(torch.tensor([[.1, .5, .3, .9, .2]]), [3, 2], 2).tolist()
        [[-1.0, 0.5, 0.30000001192092896, 0.8999999761581421, 0.20000000298023224]]
    """
    parts, start = [], 0
    for size in level_sizes:
        level = flat[:, start:start + size]
        level_valid = None if valid is None else valid[:, start // num_classes:
                                                        (start + size) // num_classes]
        start += size
        if 0 < nms_pre < size:
            top, index = level.topk(nms_pre, dim=1, sorted=False)
            if level_valid is not None:  # on the nms_pre kept scores, not the whole level
                anchor = torch.div(index, num_classes, rounding_mode='trunc')
                top = torch.where(level_valid.gather(1, anchor), top, torch.full_like(top, -1.0))
            level = torch.full_like(level, -1.0).scatter(1, index, top)
        elif level_valid is not None:
            batch = level.shape[0]
            level = level.reshape(batch, -1, num_classes)
            level = torch.where(level_valid.unsqueeze(-1), level,
                                torch.full_like(level, -1.0)).reshape(batch, -1)
        parts.append(level)
    return torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]


def decode_boxes(bbox_coder, priors: Tensor, preds: Tensor) -> Tensor:
    """Boxes of every prior for every image, mmdet's arithmetic, no clipping.

    The prior-only terms (centres and sizes of the anchors) are computed on the constant
    ``(N, 4)`` priors, so the exported graph holds them as constants; only the per-image
    terms run per batch. ``DeltaXYWHBBoxCoder``: mmdet's ``delta2bbox`` step by step
    (``means`` of zero not added); ``DistancePointBBoxCoder``: ``distance2bbox``.

    Args:
        bbox_coder: The head's box coder.
        priors (Tensor): ``(N, 4)`` anchors, or ``(N, 2+)`` points.
        preds (Tensor): ``(B, N, 4)`` deltas or distances.

    Raises:
        ValueError: Another box coder (named).

    Example:
        >>> from mmdet.models.task_modules.coders import DistancePointBBoxCoder
        >>> decode_boxes(DistancePointBBoxCoder(), torch.tensor([[8., 8.]]),
        ...              torch.tensor([[[2., 3., 30., 4.]]])).tolist()
        [[[6.0, 5.0, 38.0, 12.0]]]
    """
    kind = type(bbox_coder).__name__
    if kind == 'DistancePointBBoxCoder':
        xy = priors[:, :2]
        return torch.cat([xy - preds[..., :2], xy + preds[..., 2:]], dim=-1)
    if kind != 'DeltaXYWHBBoxCoder':
        raise ValueError(f'no exported decoder for {kind} (DeltaXYWHBBoxCoder and '
                         'DistancePointBBoxCoder have one)')
    deltas = preds * preds.new_tensor(bbox_coder.stds)
    if any(bbox_coder.means):
        deltas = deltas + preds.new_tensor(bbox_coder.means)
    centre = (priors[:, :2] + priors[:, 2:]) * 0.5
    size = priors[:, 2:] - priors[:, :2]
    shift = size * deltas[..., :2]
    max_ratio = abs(math.log(16 / 1000))  # mmdet's wh_ratio_clip
    if bbox_coder.add_ctr_clamp:
        shift = shift.clamp(min=-bbox_coder.ctr_clamp, max=bbox_coder.ctr_clamp)
        scale = deltas[..., 2:].clamp(max=max_ratio)
    else:
        scale = deltas[..., 2:].clamp(min=-max_ratio, max=max_ratio)
    centre = centre + shift
    half = size * scale.exp() * 0.5
    return torch.cat([centre - half, centre + half], dim=-1)


def clip_to_input(boxes: Tensor, height: int, width: int) -> Tensor:
    """Clip ``(..., 4)`` boxes to a ``height x width`` input: one ``Clip`` where the
    input is square, else a ``Min`` with the constant ``(W, H, W, H)``.

    Example:
        >>> clip_to_input(torch.tensor([[-3., 5., 250., 190.]]), 192, 200).tolist()
        [[0.0, 5.0, 200.0, 190.0]]
    """
    if height == width:
        return boxes.clamp(min=0, max=width)
    return torch.minimum(boxes.clamp(min=0),
                         boxes.new_tensor([width, height, width, height]))


def exported_detections(head, cls_scores: Sequence[Tensor], bbox_preds: Sequence[Tensor],
                        input_hw: Tuple[int, int], cfg) -> Tuple[Tensor, Tensor]:
    """The whole post-processing of a dense head as a fixed-shape graph (see the module).

    Args:
        head: An mmdet dense head (SSD, RetinaNet or RTMDet) with a
            ``DeltaXYWHBBoxCoder`` or ``DistancePointBBoxCoder``.
        cls_scores (Sequence[Tensor]): Per level ``(B, A * C', H, W)``.
        bbox_preds (Sequence[Tensor]): Per level ``(B, A * 4, H, W)``.
        input_hw (tuple): ``(height, width)`` of the input (boxes are clipped to it
            where the coder clips).
        cfg: ``test_cfg`` (``score_thr``, ``nms_pre``, ``min_bbox_size``,
            ``nms.iou_threshold``, ``max_per_img``).

    Returns:
        tuple: ``dets (B, max_per_img, 5)`` (x1, y1, x2, y2, score; zeros where there is
        no detection) and ``labels (B, max_per_img)`` (-1 there), best first.
    """
    if not hasattr(cfg, 'nms'):
        from mmengine.config import ConfigDict
        cfg = ConfigDict(cfg)
    num_classes, sigmoid = head.num_classes, head.use_sigmoid_cls
    channels = num_classes if sigmoid else num_classes + 1
    batch = cls_scores[0].shape[0]
    featmap_sizes = [tuple(c.shape[-2:]) for c in cls_scores]
    priors = torch.cat(cached_priors(head, featmap_sizes, cls_scores[0].dtype,
                                     cls_scores[0].device))
    num_priors = priors.shape[0]
    logits = channel_last(cls_scores, channels)
    scores = logits.sigmoid() if sigmoid else logits.softmax(-1)[..., :num_classes]
    boxes = decode_boxes(head.bbox_coder, priors, channel_last(bbox_preds, 4))
    if getattr(head.bbox_coder, 'clip_border', True):
        boxes = clip_to_input(boxes, *input_hw)

    valid = None
    min_size = cfg.get('min_bbox_size', -1)
    if min_size >= 0:
        wh = boxes[..., 2:] - boxes[..., :2]
        valid = (wh[..., 0] > min_size) & (wh[..., 1] > min_size)
    level_anchors = [c.shape[1] // channels * c.shape[2] * c.shape[3] for c in cls_scores]
    kept = level_top_k(scores.reshape(batch, -1), [n * num_classes for n in level_anchors],
                       cfg.get('nms_pre', -1), num_classes, valid)
    per_class = kept.reshape(batch, num_priors, num_classes).transpose(1, 2)  # NMS's layout
    max_per_img = int(cfg.max_per_img)
    score_thr = max(float(cfg.get('score_thr', 0)), -0.5)  # -1 marks dropped scores
    selected = MultiClassNMSOp.apply(boxes, per_class, max_per_img,
                                     float(cfg.nms.iou_threshold), score_thr)
    image, cls, box = selected[:, 0], selected[:, 1], selected[:, 2]
    flat_index = (image * num_classes + cls) * num_priors + box
    survivors = torch.full_like(per_class, -1.0).reshape(-1).scatter(
        0, flat_index, per_class.reshape(-1).gather(0, flat_index)).reshape(batch, -1)
    k = min(max_per_img, survivors.shape[1])
    top, index = survivors.topk(k, dim=1)
    found = top > score_thr
    label = torch.div(index, num_priors, rounding_mode='trunc')  # indices are >= 0
    anchor = index - label * num_priors
    labels = torch.where(found, label, torch.full_like(index, -1))
    dets = torch.cat([boxes.gather(1, anchor.unsqueeze(-1).expand(-1, -1, 4)),
                      top.unsqueeze(-1)], dim=2)
    dets = torch.where(found.unsqueeze(-1), dets, torch.zeros_like(dets))
    if k < max_per_img:  # fewer (anchor, class) pairs than max_per_img: pad
        dets = F.pad(dets, (0, 0, 0, max_per_img - k))
        labels = F.pad(labels, (0, max_per_img - k), value=-1)
    return dets, labels


__all__ = ['channel_last', 'clip_to_input', 'decode_boxes', 'exported_detections', 'level_top_k']
