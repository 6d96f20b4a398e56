# Baseline: SSD with mmpretrain's ShuffleNetV2 1.0x instead of ShuffleDefectNet.
# Same neck, head, data, input and schedule as the 40-epoch recipe
# (ssd_sdn-1.0x_fusion_40e_neu-det.py).
_base_ = './ssd_sdn-1.0x_fusion_40e_neu-det.py'

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
