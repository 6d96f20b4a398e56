"""Let mmdet's ``SSDHead`` predict: a class-level ``loss_cls = None``.

Upstream: https://github.com/open-mmlab/mmdetection/issues/11780 (also
#11063, #11305; unmerged fix: pull request #11524). Seen in mmdet 3.3.0, the
latest release; 3.0.0 was not affected.

``BaseDenseHead._predict_by_feat_single`` reads ``self.loss_cls`` to check for
a custom classification activation, but ``SSDHead`` computes its loss with
``F.cross_entropy`` and never sets ``loss_cls``; so val, test and inference of
any SSD crash with ``AttributeError: 'SSDHead' object has no attribute
'loss_cls'``. A class-level ``loss_cls = None`` makes that check answer "no
custom activation" (softmax is then used, as SSD intends). It fixes this
package's SSD configs and stock mmdet SSD configs alike, and touches no weights
and no loss computation.
"""
import inspect

from .upstream_fix import UpstreamFix


def ssd_head_lacks_loss_cls() -> bool:
    """Whether the installed mmdet reads ``self.loss_cls`` that ``SSDHead`` never sets."""
    from mmdet.models.dense_heads import SSDHead
    from mmdet.models.dense_heads.base_dense_head import BaseDenseHead
    reads = 'self.loss_cls' in inspect.getsource(BaseDenseHead._predict_by_feat_single)
    sets = ('loss_cls' in vars(SSDHead)
            or 'self.loss_cls' in inspect.getsource(SSDHead.__init__))
    return reads and not sets


def give_ssd_head_loss_cls() -> None:
    """Give ``SSDHead`` (and its subclasses) a ``loss_cls`` default of None."""
    from mmdet.models.dense_heads import SSDHead
    if 'loss_cls' not in vars(SSDHead):
        SSDHead.loss_cls = None


SSD_LOSS_CLS = UpstreamFix(
    name='mmdet-ssd-loss-cls',
    distribution='mmdet',
    affected='mmdet 3.3.0 (3.0.0 unaffected)',
    upstream='https://github.com/open-mmlab/mmdetection/issues/11780',
    is_needed=ssd_head_lacks_loss_cls,
    apply=give_ssd_head_loss_cls)
