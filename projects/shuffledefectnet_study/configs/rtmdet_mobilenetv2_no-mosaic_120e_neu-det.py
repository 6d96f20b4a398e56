# Issue #25 item 6: the final recipe (RTMDet head, no Mosaic/MixUp, 120 epochs, EMA, 192 px)
# with mmdet's MobileNetV2 1.0x instead of ShuffleDefectNet 1.0x; same neck, head, data and
# schedule. From scratch.
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/rtmdet_mobilenetv2_no-mosaic_120e_neu-det.py
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
        type='MobileNetV2',
        widen_factor=1.0,
        out_indices=(2, 4, 6),  # 32 ch @ 1/8, 96 @ 1/16, 320 @ 1/32
        act_cfg=dict(type='ReLU6'),
        init_cfg=None),
    neck=dict(in_channels=[32, 96, 320]))
