# NEU-CLS recipe for convergence (issue #49): the picture at its native 200 px, both flips,
# random-resized crops of 80-100 % of the area (a texture's scale changes by at most 1.12x),
# label smoothing and a 60-epoch cosine schedule, tested on the last epoch.
# Screened on the committed split's val (results/neu_cls_convergence.md, runs 1-6): the
# 90-degree turns were dropped (a rolled texture has a direction the line never turns: 11
# test errors with them, 3 without), the crops narrowed from 50-100 % (3 errors -> 0), the
# EMA of the weights dropped (see the end of this file).
# The network configs set only the backbone (configs/classification/*_60e_200px_neu-cls.py).
_base_ = ['./datasets/neu_cls.py', './schedules/adamw_cosine_30e_cls.py',
          './default_runtime_cls.py']
from mmdet_shuffledefect.datasets.neu_classes import NEU_CLASSES as classes  # noqa: E402

input_size = 200
max_epochs = 60
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=input_size, crop_ratio_range=(0.8, 1.0),
         aspect_ratio_range=(0.8, 1.25)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(input_size, input_size)),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

model = dict(
    type='ImageClassifier',
    backbone=dict(type='ShuffleDefectNet', widen_factor=1.0, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=len(classes),
        in_channels=1024,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original',
                  loss_weight=1.0),
        topk=(1, )))
data_preprocessor = dict(
    num_classes=len(classes),
    mean=[127.5, 127.5, 127.5],
    std=[64.0, 64.0, 64.0],
    to_rgb=True)

# the optimizer of the 30-epoch schedule (AdamW, lr 0.002), over a longer cosine
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=200),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=3)
# No EMA of the weights: screened and dropped. With an EMA (momentum 0.003, a horizon of
# about 330 iterations) val top-1 stayed at chance (16.7 %) to epoch 10-15 and swung between
# 89 and 97 % at epochs 45-75 with the batch-norm statistics copied (update_buffers=False);
# averaging them too (update_buffers=True) left it at chance to epoch 15
# (results/neu_cls_convergence.md).
