# NEU-CLS: ShuffleDefectNet 2.0x (width variant of sdn-1.0x_linear_30e_neu-cls.py).
_base_ = './sdn-1.0x_linear_30e_neu-cls.py'

model = dict(backbone=dict(widen_factor=2.0), head=dict(in_channels=2048))
