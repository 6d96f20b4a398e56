# RetinaNet + ShuffleDefectNet 1.0x + fusion neck (5 levels of 96 channels) on NEU-DET.
# Same data, input (192x192), schedule, backbone and neck as configs/sdn_ssd_neu.py.
#
#   python tools/train.py configs/sdn_retinanet_neu.py
_base_ = [
    '_base_/datasets/neu_det.py', '_base_/schedules/adamw_cosine_40e.py',
    '_base_/default_runtime.py'
]

model = dict(
    type='SingleStageDetector',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[64.0, 64.0, 64.0],
        bgr_to_rgb=True,
        pad_size_divisor=1),
    backbone=dict(
        type='ShuffleDefectNet',
        widen_factor=1.0,
        out_indices=(0, 1, 2),
        norm_cfg=dict(type='BN'),
        init_cfg=None),
    neck=dict(
        type='SDNFusionNeck',
        in_channels=[116, 232, 464],
        out_channels=96,
        num_outs=5),
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
