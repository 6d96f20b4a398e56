# Backbone swapping: mmdet's stock RetinaNet-R50-FPN config with ShuffleDefectNet 1.0x
# in place of ResNet-50 (stock FPN and RetinaHead kept), pointed at NEU-DET.
# The same three edits (custom_imports, backbone, neck.in_channels) swap ShuffleDefectNet
# into any mmdet config; the data part is only needed to leave COCO.
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmdet_shuffledefect'], allow_failed_imports=False)

# --- NEU-DET data instead of COCO (192x192 as the paper) ---
# A stock mmdet base cannot be combined with configs/_base_/datasets/neu_det.py (both
# define the dataloaders), so the data part is written here; the classes come from the package.
data_root = 'data/NEU-DET/'
from mmdet_shuffledefect.datasets.neu_classes import NEU_CLASSES as classes  # noqa: E402
metainfo = dict(classes=classes)

model = dict(
    backbone=dict(
        _delete_=True,
        type='ShuffleDefectNet',
        widen_factor=1.0,
        out_indices=(0, 1, 2),
        init_cfg=None),
    neck=dict(in_channels=[116, 232, 464], start_level=0, num_outs=5),
    bbox_head=dict(num_classes=len(metainfo['classes'])))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(192, 192), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(192, 192), keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    batch_sampler=None,
    dataset=dict(_delete_=True, type='NEUDETDataset', data_root=data_root,
                 ann_file='splits/train.txt', metainfo=metainfo, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(_delete_=True, type='NEUDETDataset', data_root=data_root,
                 ann_file='splits/val.txt', metainfo=metainfo, test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(_delete_=True, type='NEUDETDataset', data_root=data_root,
                 ann_file='splits/test.txt', metainfo=metainfo, test_mode=True,
                 pipeline=test_pipeline))
val_evaluator = dict(_delete_=True, type='NEUVOCMetric', iou_thrs=0.5, eval_mode='area')
test_evaluator = val_evaluator
