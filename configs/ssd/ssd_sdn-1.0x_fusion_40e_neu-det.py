# The 40-epoch recipe (the first published SSD + ShuffleDefectNet 1.0x model, test mAP@0.5
# 0.583 with checkpoints/ssd_sdn-1.0x_fusion_40e_neu-det_20261125_180427-aed12e3b.pth): depthwise
# SSD head + fusion neck,
# 192x192, 40 epochs of AdamW from scratch, photometric + flip augmentation only.
# Kept as it was trained; configs/sdn_ssd_neu.py holds the current recipe. Written out in
# full on purpose (no configs/_base_/models/ piece): a change to the current recipe's
# pieces must not change the record of what this checkpoint was trained with.
#
#   python tools/test.py configs/ssd/ssd_sdn-1.0x_fusion_40e_neu-det.py \
#       checkpoints/ssd_sdn-1.0x_fusion_40e_neu-det_20261125_180427-aed12e3b.pth
_base_ = [
    '../_base_/datasets/neu_det.py', '../_base_/schedules/adamw_cosine_40e.py',
    '../_base_/default_runtime.py'
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
        num_outs=6),
    bbox_head=dict(
        type='FastSSDHead',  # mmdet's SSDHead + batched post-processing
        in_channels=(96, 96, 96, 96, 96, 96),
        num_classes=len(_base_.classes),
        use_depthwise=True,
        norm_cfg=dict(type='BN'),
        act_cfg=dict(type='ReLU'),
        init_cfg=dict(type='Normal', layer='Conv2d', std=0.001),
        anchor_generator=dict(
            # strides (input / feature-map side) and sizes follow input_size: the sizes
            # below are for 192 px and scale with the input (exactly these at 192)
            type='InputScaledSSDAnchorGenerator',
            scale_major=False,
            input_size=_base_.input_size,
            reference_size=192,
            # Long thin boxes (scratches, inclusions) need long anchors: with
            # ratios [2, 3], 27% of the NEU-DET training scratches have an anchor at
            # IoU >= 0.5; with [2, 3, 5, 8], 52% (tools/analysis_tools/anchor_coverage.py,
            # results/anchor_coverage.md).
            ratios=[[2, 3, 5, 8]] * 6,
            min_sizes=[16, 38, 70, 102, 134, 166],
            max_sizes=[38, 70, 102, 134, 166, 198]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[0.1, 0.1, 0.2, 0.2])),
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.5,
            min_pos_iou=0.0,
            ignore_iof_thr=-1,
            gt_max_assign_all=False),
        sampler=dict(type='PseudoSampler'),
        smoothl1_beta=1.0,
        allowed_border=-1,
        pos_weight=-1,
        neg_pos_ratio=3,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        nms=dict(type='nms', iou_threshold=0.45),
        min_bbox_size=0,
        score_thr=0.02,
        max_per_img=200))
