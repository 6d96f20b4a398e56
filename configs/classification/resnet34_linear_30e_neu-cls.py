# NEU-CLS baseline: mmpretrain ResNet34 (Table 2 row "ResNet34").
_base_ = './sdn-1.0x_linear_30e_neu-cls.py'

model = dict(backbone=dict(_delete_=True, type='ResNet', depth=34, out_indices=(3, )),
             head=dict(in_channels=512))
