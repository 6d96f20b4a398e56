# Baseline: SSD with mmdet's ResNet34 instead of ShuffleDefectNet.
# Same neck, head, data, input and schedule as the 40-epoch recipe
# (ssd_sdn-1.0x_fusion_40e_neu-det.py).
_base_ = './ssd_sdn-1.0x_fusion_40e_neu-det.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=34,
        out_indices=(1, 2, 3),  # 128 ch @ 1/8, 256 @ 1/16, 512 @ 1/32
        norm_cfg=dict(type='BN'),
        init_cfg=None),
    neck=dict(in_channels=[128, 256, 512]))
