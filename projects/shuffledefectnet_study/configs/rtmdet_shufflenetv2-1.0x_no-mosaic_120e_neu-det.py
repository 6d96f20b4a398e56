# Issue #25 item 6: the final recipe (RTMDet head, no Mosaic/MixUp, 120 epochs, EMA, 192 px)
# with mmpretrain's ShuffleNetV2 1.0x instead of ShuffleDefectNet 1.0x; same neck, head, data
# and schedule. From scratch.
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/rtmdet_shufflenetv2-1.0x_no-mosaic_120e_neu-det.py
_base_ = '../../../configs/_base_/rtmdet_sdn-1.0x_fusion_neu-det.py'

# the final recipe's training (configs/rtmdet/rtmdet_sdn-1.0x_fusion_120e-ema_neu-det.py), repeated
# here to keep two levels of inheritance; tests/test_product/test_backbone_swap_configs.py checks that
# nothing else differs from it
max_epochs = 120
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs),
]
train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_plain))
custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.001, gamma=300,
         update_buffers=True, priority=49),
]

model = dict(
    test_cfg=dict(nms=dict(iou_threshold=0.5)),  # the final recipe's, chosen on val
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ShuffleNetV2',
        widen_factor=1.0,
        out_indices=(0, 1, 2),  # 116 ch @ 1/8, 232 @ 1/16, 464 @ 1/32
        init_cfg=None),
    neck=dict(in_channels=[116, 232, 464]))
# mmpretrain's ShuffleNetV2 always builds its final 1x1 conv (unused here): DDP must
# be told about parameters without gradients.
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
