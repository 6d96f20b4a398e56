# NEU-CLS classification (the paper's Table 2): ImageClassifier + ShuffleDefectNet 1.0x,
# 200x200 grayscale resized to 192x192, trained from scratch.
#   python tools/train.py configs/classification/sdn-1.0x_linear_30e_neu-cls.py
# Data, schedule and runtime come from configs/_base_/.
_base_ = [
    '../_base_/datasets/neu_cls.py', '../_base_/schedules/adamw_cosine_30e_cls.py',
    '../_base_/default_runtime_cls.py'
]

model = dict(
    type='ImageClassifier',
    backbone=dict(type='ShuffleDefectNet', widen_factor=1.0, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=len(_base_.classes),
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))
data_preprocessor = dict(
    num_classes=len(_base_.classes),
    mean=[127.5, 127.5, 127.5],
    std=[64.0, 64.0, 64.0],
    to_rgb=True)
