# Issue #25 screen, the input-size lever: configs/_base_/rtmdet_sdn-1.0x_fusion_neu-det.py at 256
# px (NEU pictures
# are 200 px: upsampled, thin scratches and small inclusions get more feature cells). Only
# input_size changes; the pipelines are restated because they are computed from it when the
# parent file is read.
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/rtmdet_screen/sdn_rtmdet_256px_neu.py
_base_ = '../../../../configs/_base_/rtmdet_sdn-1.0x_fusion_neu-det.py'

input_size = 256
pad = dict(img=(114, 114, 114))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='CachedMosaic', img_scale=(input_size, input_size), pad_val=114.0,
         max_cached_images=20, random_pop=False),
    dict(type='RandomResize', scale=(2 * input_size, 2 * input_size), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=(input_size, input_size)),
    dict(type='YOLOXHSVRandomAug'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='Pad', size=(input_size, input_size), pad_val=pad),
    dict(type='CachedMixUp', img_scale=(input_size, input_size), ratio_range=(1.0, 1.0),
         max_cached_images=10, random_pop=False, pad_val=(114, 114, 114), prob=0.5),
    dict(type='PackDetInputs'),
]
train_pipeline_plain = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomResize', scale=(input_size, input_size), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=(input_size, input_size)),
    dict(type='YOLOXHSVRandomAug'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='Pad', size=(input_size, input_size), pad_val=pad),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.001, gamma=300,
         update_buffers=True, priority=49),
    dict(type='PipelineSwitchHook', switch_epoch=_base_.max_epochs - _base_.plain_epochs,
         switch_pipeline=train_pipeline_plain),
]
