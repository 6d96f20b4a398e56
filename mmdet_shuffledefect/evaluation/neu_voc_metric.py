"""VOC mAP for NEU-DET, keeping the per-class AP that mmdet's VOCMetric drops."""
from collections import OrderedDict
from typing import Optional, Sequence, Union

import numpy as np
from mmdet.evaluation import VOCMetric
from mmdet.evaluation.functional import eval_map
from mmdet.registry import METRICS
from mmengine.logging import MMLogger

from .bootstrap import bootstrap_map
from .picture_metrics import picture_level

#: The key of the test mAP@0.5 this metric reports, and the prefix of its per-class APs
#: (what the analysis tools read from ``tools/test.py``'s metrics).
MAP_KEY = 'pascal_voc/mAP'
PER_CLASS_PREFIX = 'pascal_voc/AP50_'

COCO_STYLE_IOUS = [round(0.5 + 0.05 * i, 2) for i in range(10)]


@METRICS.register_module()
class NEUVOCMetric(VOCMetric):
    """VOC mAP in area mode with per-class AP in the logged metrics.

    Same computation as mmdet's ``VOCMetric`` (legacy coordinates, difficult
    boxes ignored), but ``eval_mode='area'`` by default (what NEU-DET papers
    report) and every class's AP at every IoU threshold is returned as
    ``AP50_<class>``. ``coco_style=True`` averages over IoU 0.50:0.05:0.95.

    Args:
        iou_thrs (float | list[float]): IoU thresholds. Defaults to 0.5.
        eval_mode (str): ``'area'`` or ``'11points'``. Defaults to 'area'.
        coco_style (bool): Use IoU 0.50:0.95 (overrides ``iou_thrs``) and
            report the mean as ``mAP`` and as ``mAP_50_95``. Defaults to False.
        bootstrap (int): When > 0, also report ``mAP_low`` / ``mAP_high``: the
            95 % interval of the first threshold's mAP over that many
            resamples of the test images (:func:`.bootstrap_map`; a 60-image
            split moves by several points). Defaults to 0 (off).
        picture_score_thr (float | list[float], optional): When given, also report per
            class and threshold ``t`` the picture-level ``recall@<t>_<class>`` and
            ``false_alarm@<t>_<class>`` (:func:`.picture_level`: is the class flagged at
            score >= t on the pictures that hold it, and on those that do not?).
            Defaults to None (off).
        **kwargs: Other :class:`mmdet.evaluation.VOCMetric` arguments.

    Example:
        >>> metric = NEUVOCMetric()
        >>> metric.eval_mode, metric.iou_thrs
        ('area', [0.5])
    """

    default_prefix: Optional[str] = 'pascal_voc'

    def __init__(self,
                 iou_thrs: Union[float, Sequence[float]] = 0.5,
                 eval_mode: str = 'area',
                 coco_style: bool = False,
                 bootstrap: int = 0,
                 picture_score_thr: Union[None, float, Sequence[float]] = None,
                 **kwargs) -> None:
        if eval_mode not in ('area', '11points'):
            raise ValueError(f"eval_mode must be 'area' or '11points', got {eval_mode!r}")
        if bootstrap < 0:
            raise ValueError(f'bootstrap must be >= 0 (resamples; 0 = off), got {bootstrap}')
        self.bootstrap = bootstrap
        thrs = ([] if picture_score_thr is None else [picture_score_thr]
                if isinstance(picture_score_thr, (int, float)) else list(picture_score_thr))
        bad = [t for t in thrs if not isinstance(t, (int, float)) or not 0 <= t <= 1]
        if bad:
            raise ValueError('picture_score_thr must be detection scores in [0, 1], got '
                             f'{picture_score_thr}')
        self.picture_score_thrs = [float(t) for t in thrs]
        if coco_style:
            iou_thrs = COCO_STYLE_IOUS
        super().__init__(iou_thrs=iou_thrs, eval_mode=eval_mode, metric='mAP', **kwargs)
        self.coco_style = coco_style

    def compute_metrics(self, results: list) -> dict:
        """Mean AP, AP per threshold and AP per class and threshold."""
        logger: MMLogger = MMLogger.get_current_instance()
        gts, preds = zip(*results)
        classes = list(self.dataset_meta['classes'])
        out = OrderedDict()
        mean_aps = []
        for thr in self.iou_thrs:
            mean_ap, per_class = eval_map(
                preds, gts, scale_ranges=self.scale_ranges, iou_thr=thr,
                dataset=classes, logger=logger, eval_mode=self.eval_mode,
                use_legacy_coordinate=True)
            mean_aps.append(mean_ap)
            tag = f'AP{int(round(thr * 100)):02d}'
            out[tag] = round(float(mean_ap), 4)
            for name, res in zip(classes, per_class):
                ap = float(np.asarray(res['ap']).reshape(-1)[0]) if res['num_gts'] else float('nan')
                out[f'{tag}_{name}'] = round(ap, 4)
        out['mAP'] = float(sum(mean_aps) / len(mean_aps))
        out.move_to_end('mAP', last=False)
        if self.coco_style:
            out['mAP_50_95'] = out['mAP']
        if self.bootstrap:
            spread = bootstrap_map(preds, gts, self.iou_thrs[0], self.bootstrap,
                                   eval_mode=self.eval_mode)
            out['mAP_low'], out['mAP_high'] = round(spread['low'], 4), round(spread['high'], 4)
            logger.info(f"mAP@{self.iou_thrs[0]} {out[f'AP{int(round(self.iou_thrs[0] * 100)):02d}']:.4f}, "
                        f"95 % interval over {self.bootstrap} resamples of the "
                        f"{spread['images']} images evaluated: {spread['low']:.4f} - "
                        f"{spread['high']:.4f}")
        for thr in self.picture_score_thrs:
            out.update(self._picture_level(preds, gts, classes, thr, logger))
        return out

    @staticmethod
    def _picture_level(preds, gts, classes, thr: float, logger) -> dict:
        level = picture_level(preds, gts, thr)
        out = OrderedDict()
        lines = [f'picture level at score >= {thr:g}: class, pictures holding it, recall, '
                 'pictures without it, false alarms']
        for i, name in enumerate(classes):
            out[f'recall@{thr:g}_{name}'] = round(level['recall'][i], 4)
            out[f'false_alarm@{thr:g}_{name}'] = round(level['false_alarm'][i], 4)
            lines.append(f"  {name:<18}{level['holding'][i]:>5} {level['recall'][i]:>7.1%}"
                         f"{level['without'][i]:>6} {level['false_alarm'][i]:>7.1%}")
        logger.info('\n'.join(lines))
        return out
