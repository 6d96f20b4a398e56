# NEU-CLS, the convergence recipe: mmpretrain's ResNet34, only the backbone (and the head's
# input width) differs from configs/classification/sdn-1.0x_linear_60e_200px_neu-cls.py.
_base_ = '../_base_/neu_cls_convergence.py'
model = dict(backbone=dict(_delete_=True, type='ResNet', depth=34, out_indices=(3, )),
             head=dict(in_channels=512))
