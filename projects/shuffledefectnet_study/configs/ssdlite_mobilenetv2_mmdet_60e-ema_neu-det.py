# What an mmdet user has today: mmdet's own SSDLite-MobileNetV2 config as shipped (model,
# neck, head, anchors, pipeline with Expand + MinIoURandomCrop), moved to NEU-DET at our
# input size (192 px) and schedule (60 epochs of batch 8, AdamW, cosine, EMA as in
# configs/sdn_ssd_neu.py), from scratch like every row of results/neu_det_detection.md.
# mmdet's COCO schedule (320 px, 600 epochs of batch 192 on 8 GPUs) is out of reach on
# this project's 2-core CPU. Changed from mmdet's file, and nothing else: num_classes, the
# anchor sizes and strides scaled from 320 to 192 px, the datasets, the schedule.
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/ssdlite_mobilenetv2_mmdet_60e-ema_neu-det.py
_base_ = 'mmdet::ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py'

custom_imports = dict(imports=['mmdet_shuffledefect'], allow_failed_imports=False)
default_scope = 'mmdet'

data_root = 'data/NEU-DET/'
from mmdet_shuffledefect.datasets.neu_classes import NEU_CLASSES as classes  # noqa: E402
metainfo = dict(classes=classes)
input_size = 192

# mmdet's anchors at 320 px times 192/320; the strides are those of the six feature maps
# at 192 px (12, 6, 3, 2, 1, 1 cells).
model = dict(
    bbox_head=dict(
        num_classes=len(classes),
        anchor_generator=dict(
            input_size=input_size,
            strides=[16, 32, 64, 96, 192, 192],
            min_sizes=[29, 60, 90, 121, 152, 182],
            max_sizes=[60, 90, 121, 152, 182, 192])))

# mmdet's SSDLite pipeline, at 192 px
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Expand', mean=[123.675, 116.28, 103.53], to_rgb=True, ratio_range=(1, 4)),
    dict(type='MinIoURandomCrop', min_ious=(0.1, 0.3, 0.5, 0.7, 0.9), min_crop_size=0.3),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion', brightness_delta=32, contrast_range=(0.5, 1.5),
         saturation_range=(0.5, 1.5), hue_delta=18),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]


def _neu_det(split, pipeline, test_mode):
    return dict(type='NEUDETDataset', data_root=data_root, ann_file=f'splits/{split}.txt',
                data_prefix=dict(img='IMAGES/', ann='ANNOTATIONS/'), metainfo=metainfo,
                test_mode=test_mode, pipeline=pipeline)


train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True, drop_last=True,
    dataset=dict(_delete_=True, **_neu_det('train', train_pipeline, False)))
val_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True,
    dataset=dict(_delete_=True, **_neu_det('val', test_pipeline, True)))
test_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True,
    dataset=dict(_delete_=True, **_neu_det('test', test_pipeline, True)))
val_evaluator = dict(_delete_=True, type='NEUVOCMetric', iou_thrs=0.5, eval_mode='area')
test_evaluator = val_evaluator

# the schedule of configs/sdn_ssd_neu.py, written out: mmengine refuses a key defined by two
# bases, and mmdet's SSDLite file defines its own schedule, data and runtime
max_epochs = 60
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.004, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs),
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.001, gamma=300,
         update_buffers=True, priority=49),
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                    save_best='pascal_voc/mAP', rule='greater'))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
