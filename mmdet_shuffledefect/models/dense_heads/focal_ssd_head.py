"""SSD head with a sigmoid focal classification loss instead of cross-entropy + mining.

mmdet's ``SSDHead`` scores ``num_classes + 1`` channels with a softmax and trains
them with cross-entropy on the positives and the hardest negatives (3 per
positive). :class:`FocalSSDHead` keeps SSD's layers, anchors, matching and
smooth-L1 box loss, and scores ``num_classes`` sigmoid channels trained with a
focal loss over every anchor (as RetinaNet), normalised by the positives. The
class branch's last bias starts at ``-log((1 - p) / p)`` with ``p = 0.01`` so the
many background anchors do not swamp the first steps.

Example:
    >>> import torch
    >>> head = FocalSSDHead(num_classes=2, in_channels=(8, 8), anchor_generator=dict(
    ...     type='SSDAnchorGenerator', scale_major=False, input_size=64, strides=[16, 32],
    ...     ratios=[[2], [2]], min_sizes=[16, 32], max_sizes=[32, 64]))
    >>> head.cls_out_channels, head.use_sigmoid_cls
    (2, True)
"""
from typing import List, Optional

import torch
from mmengine.model import bias_init_with_prob
from mmdet.models.losses import smooth_l1_loss
from mmdet.registry import MODELS
from torch import Tensor, nn

from .fast_heads import FastSSDHead


@MODELS.register_module()
class FocalSSDHead(FastSSDHead):
    """SSD layers and anchors, sigmoid focal classification loss (no hard-negative mining).

    Args:
        loss_cls (dict): A sigmoid classification loss config; default mmdet's
            ``FocalLoss`` (gamma 2, alpha 0.25), as RetinaNet.
        prior_prob (float): Initial foreground probability of every anchor, in (0, 1).
        *args, **kwargs: ``FastSSDHead`` / mmdet ``SSDHead`` arguments.
    """

    def __init__(self, *args, loss_cls: Optional[dict] = None, prior_prob: float = 0.01,
                 **kwargs) -> None:
        if not 0.0 < prior_prob < 1.0:
            raise ValueError(f'prior_prob must be in (0, 1), got {prior_prob}')
        loss_cls = loss_cls or dict(type='FocalLoss', use_sigmoid=True, gamma=2.0,
                                    alpha=0.25, loss_weight=1.0)
        if not loss_cls.get('use_sigmoid', False):
            raise ValueError(f'FocalSSDHead needs a sigmoid loss_cls (use_sigmoid=True), '
                             f'got {loss_cls}')
        self.prior_prob = prior_prob
        super().__init__(*args, **kwargs)
        # SSDHead sets these after building its layers
        self.use_sigmoid_cls = True
        self.cls_focal_loss = loss_cls.get('type') == 'FocalLoss'
        # not ``self.loss_cls``: the compat fix gives SSDHead a class-level loss_cls = None,
        # which would hide a submodule of that name
        self.sigmoid_loss_cls = MODELS.build(loss_cls)

    def _init_layers(self) -> None:
        """SSD's layers with ``num_classes`` class channels per anchor (no background)."""
        self.cls_out_channels = self.num_classes
        super()._init_layers()

    def init_weights(self) -> None:
        """SSD's initialisation, then the prior-probability bias of each class branch."""
        super().init_weights()
        bias = bias_init_with_prob(self.prior_prob)
        for branch in self.cls_convs:
            last = branch[-1] if isinstance(branch, nn.Sequential) else branch
            nn.init.constant_(last.bias, bias)

    def loss_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor],
                     batch_gt_instances, batch_img_metas: List[dict],
                     batch_gt_instances_ignore=None) -> dict:
        """Focal loss over every anchor and SSD's smooth-L1 over the positives."""
        featmap_sizes = [c.shape[-2:] for c in cls_scores]
        device = cls_scores[0].device
        anchor_list, valid_flag_list = self.get_anchors(featmap_sizes, batch_img_metas,
                                                        device=device)
        (labels, label_weights, bbox_targets, bbox_weights,
         avg_factor) = self.get_targets(anchor_list, valid_flag_list, batch_gt_instances,
                                        batch_img_metas, batch_gt_instances_ignore)
        batch, channels = len(batch_img_metas), self.cls_out_channels
        logits = torch.cat([s.permute(0, 2, 3, 1).reshape(batch, -1, channels)
                            for s in cls_scores], 1)
        boxes = torch.cat([b.permute(0, 2, 3, 1).reshape(batch, -1, 4) for b in bbox_preds], 1)
        labels = torch.cat(labels, 1).reshape(-1)
        label_weights = torch.cat(label_weights, 1).reshape(-1)
        loss_cls = self.sigmoid_loss_cls(logits.reshape(-1, channels), labels, label_weights,
                                 avg_factor=avg_factor)
        loss_bbox = smooth_l1_loss(boxes, torch.cat(bbox_targets, 1), torch.cat(bbox_weights, 1),
                                   beta=self.train_cfg['smoothl1_beta'],
                                   reduction='sum') / avg_factor
        return dict(loss_cls=loss_cls, loss_bbox=loss_bbox)
