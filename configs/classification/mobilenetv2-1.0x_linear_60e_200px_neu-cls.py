# NEU-CLS, the convergence recipe: mmpretrain's MobileNetV2 1.0x, only the backbone (and the
# head's input width) differs from configs/classification/sdn-1.0x_linear_60e_200px_neu-cls.py.
_base_ = '../_base_/neu_cls_convergence.py'
model = dict(backbone=dict(_delete_=True, type='MobileNetV2', widen_factor=1.0),
             head=dict(in_channels=1280))
