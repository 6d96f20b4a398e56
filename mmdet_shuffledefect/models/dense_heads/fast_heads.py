"""SSD, RetinaNet and RTMDet heads that predict (and, SSD/RetinaNet, compute their
training targets) per batch.

``FastSSDHead``, ``FastRetinaHead`` and ``FastRTMDetSepBNHead`` are mmdet's ``SSDHead``,
``RetinaHead`` and ``RTMDetSepBNHead`` (same parameters, same losses, same checkpoints) with

* ``predict_by_feat`` replaced by :func:`batched_detections`: one tensor pass
  for the batch instead of a Python loop over images and levels, and
  torchvision's NMS instead of mmcv's compiled op, so inference needs no mmcv
  extension at all. The detections are those of the stock path (same score
  filter, top-k, decoding, rescaling, class-aware NMS and ``max_per_img``),
  up to ties in scores;
* ``get_targets`` (and SSD's hard-negative mining) computed for the whole
  batch (:mod:`.batched_targets`), with the same values as mmdet's loop (SSD and
  RetinaNet; RTMDet trains with mmdet's own dynamic assignment).

Example:
    >>> import torch
    >>> head = FastSSDHead(num_classes=2, in_channels=(8, 8), anchor_generator=dict(
    ...     type='SSDAnchorGenerator', scale_major=False, input_size=64, strides=[16, 32],
    ...     ratios=[[2], [2]], min_sizes=[16, 32], max_sizes=[32, 64]),
    ...     test_cfg=dict(nms_pre=100, nms=dict(type='nms', iou_threshold=0.45),
    ...                   min_bbox_size=0, score_thr=0.02, max_per_img=5)).eval()
    >>> outs = head((torch.rand(2, 8, 4, 4), torch.rand(2, 8, 2, 2)))
    >>> res = head.predict_by_feat(*outs, batch_img_metas=[dict(img_shape=(64, 64))] * 2)
    >>> len(res), res[0].bboxes.shape[-1]
    (2, 4)
"""
from typing import List, Optional

import torch
from mmdet.models.dense_heads import RetinaHead, RTMDetSepBNHead, SSDHead
from mmdet.registry import MODELS
from mmengine.config import ConfigDict
from torch import Tensor

from ...say_once import say_once
from .batched_post_process import (BATCHED_DECODERS, batched_decoder, batched_detections,
                                   padded_to_instances)
from .batched_targets import BatchedTargetsMixin, ssd_batched_losses


#: ``test_cfg.nms`` keys the batched path implements exactly (``split_thr`` only
#: changes how mmcv splits the work, not the result).
BATCHED_NMS_KEYS = ('type', 'iou_threshold', 'split_thr', 'class_agnostic', 'max_num')


def batched_nms_blocker(nms_cfg) -> Optional[str]:
    """Why the batched path cannot serve ``test_cfg.nms`` exactly, or None."""
    if nms_cfg is None:
        return 'test_cfg has no nms'
    kind = nms_cfg.get('type', 'nms')
    if kind != 'nms':
        return f'test_cfg.nms.type={kind!r} (the batched path does plain NMS only)'
    if nms_cfg.get('class_agnostic', False):
        return 'test_cfg.nms.class_agnostic=True (the batched path is class-aware)'
    max_num = nms_cfg.get('max_num', -1)
    if max_num is not None and max_num > 0:
        return f'test_cfg.nms.max_num={max_num} (the batched path caps at max_per_img only)'
    other = sorted(set(nms_cfg) - set(BATCHED_NMS_KEYS))
    if other:
        return f'test_cfg.nms options {other}'
    return None


class BatchedPredictMixin:
    """``predict_by_feat`` for a whole batch (see :mod:`.batched_post_process`).

    Falls back to mmdet's per-image path, said once in the log, wherever the
    batched one would not give mmdet's answer: score factors, ``with_nms=False``,
    a box coder without a batched decoder (``DeltaXYWHBBoxCoder`` and
    ``DistancePointBBoxCoder`` have one), or an NMS option it does not
    implement (``soft_nms`` or another type, ``class_agnostic=True``,
    ``max_num``, any other key; :func:`batched_nms_blocker`).
    """

    def __init__(self, *args, nms_chunk: int = 0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if nms_chunk < 0:
            raise ValueError(f'nms_chunk must be >= 0, got {nms_chunk}')
        #: Images per post-processing call; 0 puts the whole batch into one call.
        self.nms_chunk = nms_chunk

    def batched_predict_blocker(self, cfg=None) -> Optional[str]:
        """Why :meth:`predict_by_feat` cannot take the batched path for ``cfg``
        (default: ``test_cfg``), or None when it can."""
        if batched_decoder(self.bbox_coder) is None:
            return (f'box coder {type(self.bbox_coder).__name__} (batched: '
                    f'{", ".join(BATCHED_DECODERS)})')
        cfg = self.test_cfg if cfg is None else cfg
        return batched_nms_blocker((cfg or {}).get('nms'))

    def supports_batched_predict(self, cfg=None) -> bool:
        """Whether :meth:`predict_by_feat` can take the batched path."""
        return self.batched_predict_blocker(cfg) is None

    def predict_by_feat(self,
                        cls_scores: List[Tensor],
                        bbox_preds: List[Tensor],
                        score_factors: Optional[List[Tensor]] = None,
                        batch_img_metas: Optional[List[dict]] = None,
                        cfg: Optional[ConfigDict] = None,
                        rescale: bool = False,
                        with_nms: bool = True):
        """Detections of every image of the batch, as mmdet's ``predict_by_feat``."""
        cfg = self.test_cfg if cfg is None else cfg
        blocker = self.batched_predict_blocker(cfg)
        if score_factors is not None or not with_nms or blocker is not None:
            if blocker is not None:
                say_once('predict', f'{blocker}: predicting with mmdet\'s per-image '
                         'post-processing', owner=self)
            return super().predict_by_feat(cls_scores, bbox_preds, score_factors,
                                           batch_img_metas, cfg, rescale, with_nms)
        device = cls_scores[0].device
        img_hw = torch.tensor([list(m['img_shape'][:2]) for m in batch_img_metas],
                              dtype=torch.float32, device=device)
        scale = None
        if rescale:
            factors = [m['scale_factor'] for m in batch_img_metas]
            scale = torch.tensor([[w, h, w, h] for w, h in factors], dtype=cls_scores[0].dtype,
                                 device=device)
        dets, labels = batched_detections(self, cls_scores, bbox_preds, img_hw, cfg, scale,
                                          self.nms_chunk)
        return padded_to_instances(dets, labels)


@MODELS.register_module()
class FastSSDHead(BatchedPredictMixin, BatchedTargetsMixin, SSDHead):
    """mmdet's ``SSDHead`` with batched post-processing (softmax scores), batched
    targets and batched hard-negative mining.

    Args:
        nms_chunk (int): Images per post-processing call; 0 (default) puts the
            whole batch into one call, 1 runs image by image.
        *args, **kwargs: mmdet's ``SSDHead`` arguments.
    """

    def loss_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor],
                     batch_gt_instances, batch_img_metas: List[dict],
                     batch_gt_instances_ignore=None) -> dict:
        """SSD's losses (mmdet's values) with targets and hard negatives mined per batch."""
        featmap_sizes = [c.shape[-2:] for c in cls_scores]
        if (self.reg_decoded_bbox or not self.batched_targets_apply(
                batch_gt_instances_ignore, True, False)
                or not self.all_priors_valid(featmap_sizes, batch_img_metas)):
            return super().loss_by_feat(cls_scores, bbox_preds, batch_gt_instances,
                                        batch_img_metas, batch_gt_instances_ignore)
        device = cls_scores[0].device
        anchors = torch.cat(self.prior_generator.grid_priors(featmap_sizes, device=device))
        labels, label_weights, bbox_targets, bbox_weights, avg_factor = self.batch_targets(
            anchors, batch_gt_instances)
        batch = len(batch_img_metas)
        # log-softmax over the class channels before the permute (contiguous, fast)
        channels = self.cls_out_channels
        all_logp = torch.cat([
            s.reshape(batch, -1, channels, *s.shape[-2:]).log_softmax(2).permute(
                0, 3, 4, 1, 2).reshape(batch, -1, channels) for s in cls_scores], 1)
        all_bbox = torch.cat([b.permute(0, 2, 3, 1).reshape(batch, -1, 4) for b in bbox_preds],
                             1)
        losses_cls, losses_bbox = ssd_batched_losses(
            all_logp, all_bbox, labels, label_weights, bbox_targets, bbox_weights,
            self.num_classes, self.train_cfg['neg_pos_ratio'], self.train_cfg['smoothl1_beta'],
            avg_factor)
        return dict(loss_cls=losses_cls, loss_bbox=losses_bbox)


@MODELS.register_module()
class FastRetinaHead(BatchedPredictMixin, BatchedTargetsMixin, RetinaHead):
    """mmdet's ``RetinaHead`` with batched post-processing (sigmoid scores) and
    batched targets (its focal and L1 losses are mmdet's, already batched).

    Args:
        nms_chunk (int): Images per post-processing call; 0 (default) puts the
            whole batch into one call, 1 runs image by image.
        *args, **kwargs: mmdet's ``RetinaHead`` arguments.
    """


@MODELS.register_module()
class FastRTMDetSepBNHead(BatchedPredictMixin, RTMDetSepBNHead):
    """mmdet's ``RTMDetSepBNHead`` (anchor-free, one prediction per location, BatchNorm
    per level, convs shared across levels) with batched post-processing: sigmoid
    scores, mmdet's score filter and top-k, the ``DistancePointBBoxCoder`` decode and
    clip, class-aware NMS, ``max_per_img``. Training is mmdet's (dynamic soft label
    assignment, quality focal and GIoU losses), so a checkpoint of either head loads
    into the other.

    Falls back to mmdet's per-image path (said once) for the options of
    :class:`BatchedPredictMixin`'s list. (An objectness branch is folded into the class
    scores by the head's ``forward``, so it needs no fallback.)

    Args:
        nms_chunk (int): Images per post-processing call; 0 (default) puts the
            whole batch into one call, 1 runs image by image.
        *args, **kwargs: mmdet's ``RTMDetSepBNHead`` arguments.

    Example:
        >>> import torch
        >>> head = FastRTMDetSepBNHead(num_classes=2, in_channels=8, feat_channels=8,
        ...     stacked_convs=1, anchor_generator=dict(type='MlvlPointGenerator', offset=0,
        ...                                            strides=[8, 16]),
        ...     bbox_coder=dict(type='DistancePointBBoxCoder'),
        ...     test_cfg=dict(nms_pre=100, nms=dict(type='nms', iou_threshold=0.6),
        ...                   min_bbox_size=0, score_thr=0.02, max_per_img=5)).eval()
        >>> outs = head((torch.rand(2, 8, 8, 8), torch.rand(2, 8, 4, 4)))
        >>> res = head.predict_by_feat(*outs, batch_img_metas=[dict(img_shape=(64, 64))] * 2)
        >>> len(res), res[0].bboxes.shape[-1]
        (2, 4)
    """
