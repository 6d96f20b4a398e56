# SSD + ShuffleDefectNet 2.0x (the width variant of configs/sdn_ssd_neu.py).
_base_ = '../sdn_ssd_neu.py'

model = dict(backbone=dict(widen_factor=2.0), neck=dict(in_channels=[244, 488, 976]))
