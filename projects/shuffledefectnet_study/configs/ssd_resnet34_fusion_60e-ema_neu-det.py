# Baseline: SSD with mmdet's ResNet34 instead of ShuffleDefectNet.
# Same neck, head, data, input, schedule (60 epochs) and EMA as the final recipe
# (configs/sdn_ssd_neu.py): the paper's comparison on NEU-DET (results/neu_det_detection.md).
_base_ = '../../../configs/sdn_ssd_neu.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=34,
        out_indices=(1, 2, 3),  # 128 ch @ 1/8, 256 @ 1/16, 512 @ 1/32
        norm_cfg=dict(type='BN'),
        init_cfg=None),
    neck=dict(in_channels=[128, 256, 512]))
