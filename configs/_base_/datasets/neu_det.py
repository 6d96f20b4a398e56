# NEU-DET (6 steel-surface defect classes, 200x200 grayscale saved as JPG), resized to
# 192x192 as in the paper. Layout: DATA_ROOT/{IMAGES,ANNOTATIONS,splits/{train,val,test}.txt}
# (tools/dataset_converters/prepare_neu.py lays it out under data/NEU-DET/).
# Your own data: tools take --data-root DIR and --classes NAME ...; with mmdet's own tools
# give the full keys (train_dataloader.dataset.data_root=..., val/test likewise,
# *.dataset.metainfo.classes=... and model.bbox_head.num_classes=N).
_base_ = []  # none; said so that mmengine executes the import below (not a lazy import)
data_root = 'data/NEU-DET/'
# The class names come from the package (mmdet_shuffledefect/datasets/neu_classes.py, the one
# place they are written); detector configs take num_classes from them.
from mmdet_shuffledefect.datasets.neu_classes import NEU_CLASSES as classes  # noqa: E402
metainfo = dict(classes=classes)
input_size = 192
batch_size = 8  # twice the updates per epoch of 16; measured slightly better from scratch

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
# VOC mAP@0.5 in area mode (what NEU-DET papers report), with per-class AP.
val_evaluator = dict(type='NEUVOCMetric', iou_thrs=0.5, eval_mode='area')
test_evaluator = val_evaluator
