# Baseline: SSDLite-style SSD with mmdet's MobileNetV2 (1.0x) instead of ShuffleDefectNet.
# Same neck, head, data, input, schedule (60 epochs) and EMA as the final recipe
# (configs/sdn_ssd_neu.py): the paper's comparison on NEU-DET (results/neu_det_detection.md).
_base_ = '../sdn_ssd_neu.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        widen_factor=1.0,
        out_indices=(2, 4, 6),  # 32 ch @ 1/8, 96 @ 1/16, 320 @ 1/32
        act_cfg=dict(type='ReLU6'),
        init_cfg=None),
    neck=dict(in_channels=[32, 96, 320]))
