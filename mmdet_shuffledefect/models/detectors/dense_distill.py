"""Knowledge distillation between two dense anchor-free detectors on the same prior grid.

The student (e.g. the line detector) learns from the ground truth as usual and, at every
prior point, from a frozen teacher (e.g. the more accurate RTMDet detector) of the same
head family, strides and classes:

* **classification**: binary cross-entropy between the student's class logits and the
  teacher's class probabilities, both softened by a temperature ``T`` (scaled by
  ``T**2`` as in Hinton et al.), each point weighted by the teacher's top class
  probability so the background's many easy points do not drown the defects;
* **boxes**: ``1 - IoU`` between the student's and the teacher's boxes at the points
  where the teacher is confident (top probability above ``box_score_thr``), weighted
  the same way. Both heads predict distances (left, top, right, bottom) from the same
  point, so the two boxes are compared around it with no decoding; a negative distance
  (a raw regression output can be one) counts as 0, so the loss stays in [0, 1].

The teacher is built from its config and checkpoint by mmdet's
:class:`~mmdet.models.KnowledgeDistillationSingleStageDetector` (kept out of the
student's parameters and state dict, in eval mode), so the trained checkpoint holds the
student alone and runs with the student's own config.
"""
from typing import Dict, List, Sequence

import torch
import torch.nn.functional as F
from mmdet.models.detectors import KnowledgeDistillationSingleStageDetector
from mmdet.models.utils import unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from torch import Tensor


def _flat(maps: Sequence[Tensor]) -> Tensor:
    """Per-level ``(N, K, H, W)`` maps -> ``(N * sum(H * W), K)``."""
    return torch.cat([m.permute(0, 2, 3, 1).reshape(-1, m.shape[1]) for m in maps])


def point_iou(a: Tensor, b: Tensor, eps: float = 1e-6) -> Tensor:
    """IoU of box pairs given as distances (left, top, right, bottom) from one shared
    point each; negative distances count as 0.

    Example:
        >>> point_iou(torch.tensor([[1., 1., 1., 1.]]), torch.tensor([[2., 2., 2., 2.]]))
        tensor([0.2500])
    """
    a, b = a.clamp(min=0), b.clamp(min=0)
    inter = ((torch.min(a[:, 0], b[:, 0]) + torch.min(a[:, 2], b[:, 2]))
             * (torch.min(a[:, 1], b[:, 1]) + torch.min(a[:, 3], b[:, 3])))
    area_a = (a[:, 0] + a[:, 2]) * (a[:, 1] + a[:, 3])
    area_b = (b[:, 0] + b[:, 2]) * (b[:, 1] + b[:, 3])
    return inter / (area_a + area_b - inter + eps)


def dense_kd_losses(student: tuple, teacher: tuple, temperature: float = 1.0,
                    box_score_thr: float = 0.3) -> Dict[str, Tensor]:
    """The classification and box distillation losses of one batch.

    Args:
        student (tuple): The student head's ``(cls_scores, bbox_preds)``: per level
            ``(N, C, H, W)`` logits and ``(N, 4, H, W)`` distances from the point.
        teacher (tuple): The teacher's, same shapes.
        temperature (float): Softens both sides' class probabilities.
        box_score_thr (float): Teacher probability above which a point's box is distilled.

    Returns:
        dict: ``loss_kd_cls`` and ``loss_kd_box`` (0 where the teacher is nowhere sure).

    Raises:
        ValueError: The two heads' outputs differ in levels or shapes.

    Example:
        >>> s = ([torch.zeros(1, 2, 2, 2)], [torch.ones(1, 4, 2, 2)])
        >>> out = dense_kd_losses(s, s)
        >>> round(float(out['loss_kd_box']), 4)
        0.0
    """
    shapes = [[tuple(m.shape) for m in part] for part in student]
    if shapes != [[tuple(m.shape) for m in part] for part in teacher]:
        raise ValueError('student and teacher predict on different grids or classes: '
                         f'student {shapes}, teacher '
                         f'{[[tuple(m.shape) for m in part] for part in teacher]}')
    s_cls, s_box = _flat(student[0]), _flat(student[1])
    with torch.no_grad():
        t_cls, t_box = _flat(teacher[0]).float(), _flat(teacher[1]).float()
        soft = torch.sigmoid(t_cls / temperature)
        weight = torch.sigmoid(t_cls).max(dim=1).values
    per_point = F.binary_cross_entropy_with_logits(
        s_cls.float() / temperature, soft, reduction='none').sum(dim=1)
    loss_cls = (per_point * weight).sum() / weight.sum().clamp(min=1e-6) * temperature ** 2
    sure = weight > box_score_thr
    if not sure.any():
        return dict(loss_kd_cls=loss_cls, loss_kd_box=s_box.sum() * 0)
    loss_box = ((1 - point_iou(s_box[sure].float(), t_box[sure])) * weight[sure]).sum() \
        / weight[sure].sum()
    return dict(loss_kd_cls=loss_cls, loss_kd_box=loss_box)


@MODELS.register_module()
class DenseDistillDetector(KnowledgeDistillationSingleStageDetector):
    """A one-stage anchor-free student trained on the ground truth and a frozen teacher.

    Args:
        backbone, neck, bbox_head, train_cfg, test_cfg, data_preprocessor: The student,
            as in any mmdet one-stage detector config.
        teacher_config (str | dict): The teacher's config (its ``model`` is built).
        teacher_ckpt (str, optional): The teacher's trained weights.
        kd_cls_weight (float): Weight of the classification distillation loss.
        kd_box_weight (float): Weight of the box distillation loss.
        temperature (float): Softening of the class probabilities (> 0).
        box_score_thr (float): Teacher probability above which boxes are distilled.
        **kwargs: The rest of :class:`KnowledgeDistillationSingleStageDetector`'s.

    Raises:
        ValueError: A weight below 0, a temperature <= 0, a threshold outside [0, 1),
            or a teacher whose head predicts on other strides or classes, or whose
            input normalisation differs from the student's.
    """

    def __init__(self, *args, kd_cls_weight: float = 1.0, kd_box_weight: float = 1.0,
                 temperature: float = 1.0, box_score_thr: float = 0.3, **kwargs) -> None:
        if kd_cls_weight < 0 or kd_box_weight < 0:
            raise ValueError('kd_cls_weight and kd_box_weight must be >= 0, got '
                             f'{kd_cls_weight} and {kd_box_weight}')
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if not 0 <= box_score_thr < 1:
            raise ValueError(f'box_score_thr must be in [0, 1), got {box_score_thr}')
        super().__init__(*args, **kwargs)
        self.kd_cls_weight, self.kd_box_weight = kd_cls_weight, kd_box_weight
        self.temperature, self.box_score_thr = temperature, box_score_thr
        self._check_teacher()

    def _check_teacher(self) -> None:
        """The teacher must predict on the student's grid, classes and inputs."""
        problems: List[str] = []
        s_head, t_head = self.bbox_head, self.teacher_model.bbox_head
        s_strides = getattr(getattr(s_head, 'prior_generator', None), 'strides', None)
        t_strides = getattr(getattr(t_head, 'prior_generator', None), 'strides', None)
        if t_strides is None or list(t_strides) != list(s_strides):
            problems.append(f'strides {t_strides} (student {s_strides})')
        if getattr(t_head, 'num_classes', None) != s_head.num_classes:
            problems.append(f"{getattr(t_head, 'num_classes', None)} classes "
                            f'(student {s_head.num_classes})')
        for name in ('mean', 'std'):
            s_val = getattr(self.data_preprocessor, name, None)
            t_val = getattr(self.teacher_model.data_preprocessor, name, None)
            if s_val is not None and t_val is not None and not torch.equal(s_val, t_val):
                problems.append(f'input {name} {t_val.flatten().tolist()} (student '
                                f'{s_val.flatten().tolist()})')
        if problems:
            raise ValueError(f'the teacher ({type(self.teacher_model).__name__} with '
                             f'{type(t_head).__name__}) cannot teach this student: '
                             + '; '.join(problems))

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        """The student's own losses plus the weighted distillation losses."""
        x = self.extract_feat(batch_inputs)
        outs = self.bbox_head(x)
        with torch.no_grad():
            teacher_outs = self.teacher_model.bbox_head(
                self.teacher_model.extract_feat(batch_inputs))
        gts, ignores, metas = unpack_gt_instances(batch_data_samples)
        losses = self.bbox_head.loss_by_feat(*outs, gts, metas, ignores)
        kd = dense_kd_losses(outs, teacher_outs, self.temperature, self.box_score_thr)
        losses['loss_kd_cls'] = kd['loss_kd_cls'] * self.kd_cls_weight
        losses['loss_kd_box'] = kd['loss_kd_box'] * self.kd_box_weight
        return losses
