# SSD + ShuffleDefectNet 2.0x: the width variant of the 40-epoch recipe
# (ssd_sdn-1.0x_fusion_40e_neu-det.py).
_base_ = '../../../configs/ssd/ssd_sdn-1.0x_fusion_40e_neu-det.py'

model = dict(backbone=dict(widen_factor=2.0), neck=dict(in_channels=[244, 488, 976]))
