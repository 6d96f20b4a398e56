# Baseline: SSD with mmpretrain's ShuffleNetV2 1.0x instead of ShuffleDefectNet.
# Same neck, head, data, input, schedule (60 epochs) and EMA as the final recipe
# (configs/sdn_ssd_neu.py): the paper's comparison on NEU-DET (results/neu_det_detection.md).
_base_ = '../sdn_ssd_neu.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ShuffleNetV2',
        widen_factor=1.0,
        out_indices=(0, 1, 2),
        init_cfg=None),
    neck=dict(in_channels=[116, 232, 464]))
# mmpretrain's ShuffleNetV2 always builds its final 1x1 conv (unused here): DDP must
# be told about parameters without gradients.
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
