# SSD + ShuffleDefectNet 1.5x (the width variant of configs/sdn_ssd_neu.py).
_base_ = '../sdn_ssd_neu.py'

model = dict(backbone=dict(widen_factor=1.5), neck=dict(in_channels=[176, 352, 704]))
