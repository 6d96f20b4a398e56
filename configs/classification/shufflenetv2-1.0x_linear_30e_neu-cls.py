# NEU-CLS baseline: mmpretrain ShuffleNetV2 1.0x (Table 2 row "ShuffleNet v2").
_base_ = './sdn-1.0x_linear_30e_neu-cls.py'

model = dict(backbone=dict(_delete_=True, type='ShuffleNetV2', widen_factor=1.0,
                           out_indices=(3, )))
