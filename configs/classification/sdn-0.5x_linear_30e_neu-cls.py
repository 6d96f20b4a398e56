# NEU-CLS: ShuffleDefectNet 0.5x (width variant of sdn-1.0x_linear_30e_neu-cls.py).
_base_ = './sdn-1.0x_linear_30e_neu-cls.py'

model = dict(backbone=dict(widen_factor=0.5), head=dict(in_channels=1024))
