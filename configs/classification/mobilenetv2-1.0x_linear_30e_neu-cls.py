# NEU-CLS baseline: mmpretrain MobileNetV2 1.0x.
_base_ = './sdn-1.0x_linear_30e_neu-cls.py'

model = dict(backbone=dict(_delete_=True, type='MobileNetV2', widen_factor=1.0),
             head=dict(in_channels=1280))
