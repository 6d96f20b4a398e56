# NEU-CLS: ShuffleDefectNet 1.0x with the plain ShuffleNet V2 unit (channel split, no
# bottleneck) in place of the paper's bottleneck residual unit, everything else as in
# sdn-1.0x_linear_30e_neu-cls.py: the unit ablation of the paper's Table 2.
_base_ = './sdn-1.0x_linear_30e_neu-cls.py'

model = dict(backbone=dict(unit='v2'))
