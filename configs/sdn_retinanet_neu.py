# RetinaNet + ShuffleDefectNet 1.0x + fusion neck (5 levels of 96 channels) on NEU-DET.
# Same data, input (192x192), backbone and neck as configs/sdn_ssd_neu.py, and the levers
# of its recipe that apply to RetinaNet: the 60-epoch schedule and the EMA of the weights
# (RetinaNet has its focal loss already).
#
#   python tools/train.py configs/sdn_retinanet_neu.py
_base_ = [
    '_base_/models/sdn-1.0x_fusion.py', '_base_/datasets/neu_det.py',
    '_base_/schedules/adamw_cosine_60e.py', '_base_/default_runtime.py'
]

model = dict(
    neck=dict(num_outs=5),
    bbox_head=dict(
        type='FastRetinaHead',  # mmdet's RetinaHead + batched post-processing
        num_classes=len(_base_.classes),
        in_channels=96,
        stacked_convs=2,
        feat_channels=96,
        norm_cfg=dict(type='BN'),
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=4,
            scales_per_octave=3,
            ratios=[0.33, 0.5, 1.0, 2.0, 3.0],
            strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                      loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.4,
                      min_pos_iou=0, ignore_iof_thr=-1),
        sampler=dict(type='PseudoSampler'),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100))

# EMA of the weights, as in configs/sdn_ssd_neu.py.
custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.001, gamma=300,
         update_buffers=True, priority=49),
]
