# NEU-CLS (1800 200x200 grayscale BMPs, 6 classes), resized to 192x192 as in the paper.
# Layout: DATA_ROOT/{images,splits/{train,val,test}.txt} (tools/dataset_converters/
# prepare_neu.py); the default split is the NEU-DET split mapped by (class, index).
_base_ = []  # none; said so that mmengine executes the import below (not a lazy import)
data_root = 'data/NEU-CLS/'
# The class names come from the package (mmdet_shuffledefect/datasets/neu_classes.py, the one
# place they are written); classifier configs take num_classes from them.
from mmdet_shuffledefect.datasets.neu_classes import NEU_CLASSES as classes  # noqa: E402
input_size = 192

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=input_size, crop_ratio_range=(0.6, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(input_size, input_size)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='NEUCLSDataset', data_root=data_root, ann_file='splits/train.txt',
                 data_prefix='images', metainfo=dict(classes=classes),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='NEUCLSDataset', data_root=data_root, ann_file='splits/val.txt',
                 data_prefix='images', metainfo=dict(classes=classes),
                 pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='NEUCLSDataset', data_root=data_root, ann_file='splits/test.txt',
                 data_prefix='images', metainfo=dict(classes=classes),
                 pipeline=test_pipeline))
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', items=('precision', 'recall'), average=None),
]
test_evaluator = val_evaluator + [
    dict(type='ConfusionMatrixPlot', out_file='confusion_matrix.png'),
]
