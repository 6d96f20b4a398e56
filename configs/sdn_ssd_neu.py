# SSD (depthwise, SSDLite-style head) + ShuffleDefectNet 1.0x + fusion neck on NEU-DET.
#
#   python tools/train.py configs/sdn_ssd_neu.py
#
# Input 192x192 as in the paper; trained from scratch (no ImageNet weights are
# reachable here). Data: data/NEU-DET/{IMAGES,ANNOTATIONS,splits/*.txt}
# (`python tools/dataset_converters/prepare_neu.py` links it); override with
#   --cfg-options data_root=/my/data/ (and metainfo for your own classes).
custom_imports = dict(imports=['mmdet_shuffledefect'], allow_failed_imports=False)
default_scope = 'mmdet'

data_root = 'data/NEU-DET/'
classes = ('crazing', 'inclusion', 'patches', 'pitted_surface', 'rolled-in_scale', 'scratches')
metainfo = dict(classes=classes)
input_size = 192
max_epochs = 40
batch_size = 8  # twice the updates per epoch of 16; measured slightly better from scratch

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
        type='SSDHead',
        in_channels=(96, 96, 96, 96, 96, 96),
        num_classes=len(classes),
        use_depthwise=True,
        norm_cfg=dict(type='BN'),
        act_cfg=dict(type='ReLU'),
        init_cfg=dict(type='Normal', layer='Conv2d', std=0.001),
        anchor_generator=dict(
            type='SSDAnchorGenerator',
            scale_major=False,
            input_size=input_size,
            strides=[8, 16, 32, 64, 96, 192],
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

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PhotoMetricDistortion', brightness_delta=24, contrast_range=(0.7, 1.3),
         saturation_range=(1.0, 1.0), hue_delta=0),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,  # a batch of one would break BatchNorm on the 1x1 level
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='NEUDETDataset',
        data_root=data_root,
        ann_file='splits/train.txt',
        data_prefix=dict(img='IMAGES/', ann='ANNOTATIONS/'),
        metainfo=metainfo,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='NEUDETDataset',
        data_root=data_root,
        ann_file='splits/val.txt',
        data_prefix=dict(img='IMAGES/', ann='ANNOTATIONS/'),
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='NEUDETDataset',
        data_root=data_root,
        ann_file='splits/test.txt',
        data_prefix=dict(img='IMAGES/', ann='ANNOTATIONS/'),
        metainfo=metainfo,
        test_mode=True,
        pipeline=test_pipeline))
val_evaluator = dict(type='NEUVOCMetric', iou_thrs=0.5, eval_mode='area')
test_evaluator = val_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.004, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs),
]
auto_scale_lr = dict(enable=False, base_batch_size=batch_size)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                    save_best='pascal_voc/mAP', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'))
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
