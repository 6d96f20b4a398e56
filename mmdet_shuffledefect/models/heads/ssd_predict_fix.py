"""Let mmdet 3.3.0's ``SSDHead`` predict.

``BaseDenseHead._predict_by_feat_single`` reads ``self.loss_cls`` to check
for a custom classification activation, but ``SSDHead`` computes its loss
with ``F.cross_entropy`` and never sets ``loss_cls``; so val, test and
inference of any SSD crash with ``AttributeError: 'SSDHead' object has no
attribute 'loss_cls'``. A class-level ``loss_cls = None`` makes that check
answer "no custom activation" (softmax is then used, as SSD intends). It
fixes our SSD configs and stock mmdet SSD configs alike, and touches no
weights and no loss computation.
"""
from mmdet.models.dense_heads import SSDHead


def apply_ssd_predict_fix() -> None:
    """Give ``SSDHead`` (and subclasses) a ``loss_cls`` default of None."""
    if 'loss_cls' not in vars(SSDHead):
        SSDHead.loss_cls = None
