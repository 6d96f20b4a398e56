"""Training targets of a whole batch as tensors (mmdet's per-image loop, vectorised).

mmdet's ``AnchorHead.get_targets`` assigns anchors to ground truth one image at
a time (``MaxIoUAssigner`` + ``PseudoSampler``), and ``SSDHead`` mines hard
negatives one image at a time, so the training step grows linearly with the
batch. :class:`BatchedTargetsMixin` computes the very same targets for the
batch at once: the ground truth is padded to the largest count in the batch,
IoUs are one ``(B, G, N)`` tensor, and every rule of ``MaxIoUAssigner``
(negative/positive thresholds, low-quality matches with
``gt_max_assign_all`` either way, later boxes winning ties as in the stock
loop) is applied with masks and reductions. Configurations it does not cover
(ignored boxes with ``ignore_iof_thr > 0``, ``allowed_border >= 0``, other
assigners or samplers, a ``neg_iou_thr`` range) take mmdet's path.
"""
import math
from typing import List, Optional, Tuple

import torch
from mmdet.structures.bbox import bbox_overlaps, get_box_tensor
from torch import Tensor

from ...say_once import say_once


def pad_ground_truth(batch_gt_instances, device) -> Tuple[Tensor, Tensor, Tensor]:
    """Boxes ``(B, G, 4)``, labels ``(B, G)`` and a validity mask, G = largest count."""
    counts = [len(gt) for gt in batch_gt_instances]
    size = max(counts + [1])
    batch = len(batch_gt_instances)
    boxes = torch.zeros(batch, size, 4, device=device)
    labels = torch.zeros(batch, size, dtype=torch.long, device=device)
    valid = torch.zeros(batch, size, dtype=torch.bool, device=device)
    for i, gt in enumerate(batch_gt_instances):
        n = counts[i]
        if n:
            boxes[i, :n] = get_box_tensor(gt.bboxes).to(device=device, dtype=boxes.dtype)
            labels[i, :n] = gt.labels.to(device)
            valid[i, :n] = True
    return boxes, labels, valid


def max_iou_assign(overlaps: Tensor, gt_valid: Tensor, pos_iou_thr: float,
                   neg_iou_thr: float, min_pos_iou: float, gt_max_assign_all: bool,
                   match_low_quality: bool) -> Tensor:
    """``MaxIoUAssigner.assign_wrt_overlaps`` for a batch.

    Args:
        overlaps (Tensor): ``(B, G, N)`` IoU of every (padded) gt with every anchor.
        gt_valid (Tensor): ``(B, G)`` real (not padding) ground truth.
        pos_iou_thr, neg_iou_thr, min_pos_iou (float): The assigner's thresholds.
        gt_max_assign_all (bool): Assign every anchor at a gt's best IoU.
        match_low_quality (bool): Give each gt its best anchors.

    Returns:
        Tensor: ``(B, N)`` long: -1 ignored, 0 negative, k > 0 matched to gt k-1.
    """
    overlaps = overlaps.masked_fill(~gt_valid.unsqueeze(-1), -1.0)
    max_overlaps, argmax = overlaps.max(dim=1)
    has_gt = gt_valid.any(dim=1, keepdim=True)
    max_overlaps = torch.where(has_gt, max_overlaps, torch.zeros_like(max_overlaps))
    assigned = torch.full_like(argmax, -1)
    assigned[(max_overlaps >= 0) & (max_overlaps < neg_iou_thr)] = 0
    positive = (max_overlaps >= pos_iou_thr) & has_gt
    assigned = torch.where(positive, argmax + 1, assigned)
    if match_low_quality:
        gt_max, gt_argmax = overlaps.max(dim=2)
        eligible = gt_valid & (gt_max >= min_pos_iou)
        rank = torch.arange(1, overlaps.shape[1] + 1, device=overlaps.device)
        rank = rank.unsqueeze(0) * eligible  # (B, G): i + 1, or 0
        if gt_max_assign_all:
            at_best = overlaps == gt_max.unsqueeze(-1)
            winner = (at_best * rank.unsqueeze(-1)).amax(dim=1)
        else:
            winner = torch.zeros_like(assigned).scatter_reduce(1, gt_argmax, rank,
                                                                reduce='amax')
        assigned = torch.where(winner > 0, winner, assigned)
    return assigned


class BatchedTargetsMixin:
    """``get_targets`` of an anchor head computed for the whole batch at once."""

    def batched_targets_apply(self, batch_gt_instances_ignore, unmap_outputs: bool,
                              return_sampling_results: bool) -> bool:
        """Whether :meth:`get_targets` can take the batched path."""
        from mmdet.models.task_modules.assigners import MaxIoUAssigner
        from mmdet.models.task_modules.samplers import PseudoSampler
        assigner = getattr(self, 'assigner', None)
        if (not isinstance(assigner, MaxIoUAssigner)
                or not isinstance(getattr(self, 'sampler', None), PseudoSampler)):
            return False
        if not isinstance(assigner.neg_iou_thr, (int, float)) or return_sampling_results:
            return False
        if self.train_cfg.get('allowed_border', -1) >= 0 or not unmap_outputs:
            return False
        has_ignore = batch_gt_instances_ignore is not None and any(
            ig is not None and len(ig) > 0 for ig in batch_gt_instances_ignore)
        return not (has_ignore and assigner.ignore_iof_thr > 0)

    def all_priors_valid(self, featmap_sizes, batch_img_metas: List[dict]) -> bool:
        """Whether every prior of every image lies inside its ``pad_shape`` (mmdet's
        valid flags all true); else, said once in the log, False: the batched targets
        would weight the outside priors as negatives where mmdet gives them weight 0.

        A prior generator marks a level's cell valid when its index is below
        ``ceil(pad / stride)``; images of different sizes in one batch (a keep-ratio
        pipeline) have cells outside their own padded size.
        """
        for meta in batch_img_metas:
            pad_h, pad_w = (meta.get('pad_shape') or meta['img_shape'])[:2]
            for (feat_h, feat_w), stride in zip(featmap_sizes, self.prior_generator.strides):
                stride_w, stride_h = stride if isinstance(stride, (tuple, list)) else (stride,
                                                                                       stride)
                if (math.ceil(pad_h / stride_h) < int(feat_h)
                        or math.ceil(pad_w / stride_w) < int(feat_w)):
                    self._say_fallback()
                    return False
        return True

    def _say_fallback(self) -> None:
        say_once('targets', 'priors outside an image\'s pad_shape (images of different sizes '
                 'in a batch): training targets by mmdet\'s per-image path, which gives '
                 'them weight 0', owner=self)

    def get_targets(self, anchor_list: List[List[Tensor]], valid_flag_list: List[List[Tensor]],
                    batch_gt_instances, batch_img_metas: List[dict],
                    batch_gt_instances_ignore: Optional[list] = None,
                    unmap_outputs: bool = True, return_sampling_results: bool = False) -> tuple:
        """mmdet's ``AnchorHead.get_targets`` (same outputs), batched where it applies."""
        all_valid = all(bool(f.all()) for flags in valid_flag_list for f in flags)
        if not all_valid:
            self._say_fallback()
        if not all_valid or not self.batched_targets_apply(
                batch_gt_instances_ignore, unmap_outputs, return_sampling_results):
            return super().get_targets(anchor_list, valid_flag_list, batch_gt_instances,
                                       batch_img_metas, batch_gt_instances_ignore,
                                       unmap_outputs, return_sampling_results)
        num_level_anchors = [a.size(0) for a in anchor_list[0]]
        anchors = torch.cat([get_box_tensor(a) for a in anchor_list[0]])
        labels, label_weights, bbox_targets, bbox_weights, avg_factor = self.batch_targets(
            anchors, batch_gt_instances)
        split = lambda t: list(t.split(num_level_anchors, dim=1))  # noqa: E731
        return (split(labels), split(label_weights), split(bbox_targets), split(bbox_weights),
                avg_factor)

    def batch_targets(self, anchors: Tensor, batch_gt_instances) -> tuple:
        """Labels, label weights, box targets, box weights ``(B, N, ...)`` and avg_factor."""
        assigner = self.assigner
        device = anchors.device
        gt_boxes, gt_labels, gt_valid = pad_ground_truth(batch_gt_instances, device)
        batch, num = gt_boxes.shape[0], anchors.shape[0]
        overlaps = bbox_overlaps(gt_boxes, anchors.unsqueeze(0).expand(batch, num, 4))
        assigned = max_iou_assign(overlaps, gt_valid, assigner.pos_iou_thr,
                                  float(assigner.neg_iou_thr), assigner.min_pos_iou,
                                  assigner.gt_max_assign_all, assigner.match_low_quality)
        positive, negative = assigned > 0, assigned == 0
        gt_index = (assigned - 1).clamp(min=0)
        labels = torch.full((batch, num), self.num_classes, dtype=torch.long, device=device)
        labels = torch.where(positive, gt_labels.gather(1, gt_index), labels)
        pos_weight = self.train_cfg.get('pos_weight', -1)
        label_weights = torch.zeros(batch, num, device=device)
        label_weights[negative] = 1.0
        label_weights[positive] = 1.0 if pos_weight <= 0 else float(pos_weight)
        matched = gt_boxes.gather(1, gt_index.unsqueeze(-1).expand(-1, -1, 4))
        if self.reg_decoded_bbox:
            encoded = matched
        else:
            encoded = self.bbox_coder.encode(
                anchors.unsqueeze(0).expand(batch, num, 4).reshape(-1, 4),
                matched.reshape(-1, 4)).reshape(batch, num, -1)
        bbox_targets = torch.where(positive.unsqueeze(-1), encoded,
                                   torch.zeros_like(encoded))
        bbox_weights = positive.unsqueeze(-1).expand_as(bbox_targets).to(encoded.dtype)
        avg_factor = int(positive.sum(dim=1).clamp(min=1).sum())
        return labels, label_weights, bbox_targets, bbox_weights, avg_factor


def ssd_batched_losses(log_probs: Tensor, bbox_preds: Tensor, labels: Tensor,
                       label_weights: Tensor, bbox_targets: Tensor, bbox_weights: Tensor,
                       num_classes: int, neg_pos_ratio: int, beta: float,
                       avg_factor: int) -> Tuple[List[Tensor], List[Tensor]]:
    """SSD's losses with hard-negative mining for every image at once.

    Same as ``SSDHead.loss_by_feat_single`` per image: cross-entropy of the
    positives plus the ``neg_pos_ratio`` x positives largest negative losses,
    and smooth-L1 of the positives, each divided by ``avg_factor``.

    Args:
        log_probs (Tensor): ``(B, N, C + 1)`` log-softmax of the class scores
            (cross-entropy is its negative at the target class).
        bbox_preds (Tensor): ``(B, N, 4)``.
        labels, label_weights (Tensor): ``(B, N)``.
        bbox_targets, bbox_weights (Tensor): ``(B, N, 4)``.

    Returns:
        tuple: Per-image ``loss_cls`` and ``loss_bbox`` lists (as mmdet's).
    """
    from mmdet.models.losses import smooth_l1_loss
    batch = log_probs.shape[0]
    loss_all = -log_probs.gather(2, labels.unsqueeze(-1)).squeeze(-1)
    loss_all = loss_all * label_weights
    positive = (labels >= 0) & (labels < num_classes)
    negative = labels == num_classes
    num_pos = positive.sum(dim=1)
    num_neg = torch.minimum(num_pos * neg_pos_ratio, negative.sum(dim=1))
    # hard negatives: the num_neg largest negative losses of each image, chosen on
    # detached values (the gradient flows through the gather only)
    most = int(num_neg.max()) if num_neg.numel() else 0
    if most > 0:
        hardest = loss_all.detach().masked_fill(~negative, float('-inf')).topk(most, dim=1)
        take = torch.arange(most, device=loss_all.device).unsqueeze(0) < num_neg.unsqueeze(1)
        chosen = loss_all.gather(1, hardest.indices)
        loss_neg = torch.where(take, chosen, torch.zeros_like(chosen)).sum(dim=1)
    else:
        loss_neg = loss_all.new_zeros(batch)
    loss_pos = (loss_all * positive).sum(dim=1)
    loss_cls = (loss_pos + loss_neg) / avg_factor
    loss_bbox = smooth_l1_loss(bbox_preds, bbox_targets, bbox_weights, beta=beta,
                               reduction='none')
    loss_bbox = loss_bbox.reshape(batch, -1).sum(dim=1) / avg_factor
    return [l[None] for l in loss_cls], [l for l in loss_bbox]
