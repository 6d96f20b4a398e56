# SSD + ShuffleDefectNet 0.5x (the width variant of configs/sdn_ssd_neu.py).
_base_ = '../sdn_ssd_neu.py'

model = dict(backbone=dict(widen_factor=0.5), neck=dict(in_channels=[48, 96, 192]))
