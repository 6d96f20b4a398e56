# SSD + ShuffleDefectNet 1.5x: the width variant of the 40-epoch recipe
# (ssd_sdn-1.0x_fusion_40e_neu-det.py).
_base_ = '../../../configs/ssd/ssd_sdn-1.0x_fusion_40e_neu-det.py'

model = dict(backbone=dict(widen_factor=1.5), neck=dict(in_channels=[176, 352, 704]))
