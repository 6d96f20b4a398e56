# #49 screen, leave-one-out: the convergence recipe without the 90-degree turns (flips,
# crops, label smoothing and schedule kept). Run at 60 epochs with tools/train.py --epochs 60.
_base_ = './sdn-1.0x_linear_100e_200px_neu-cls.py'
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=200, crop_ratio_range=(0.5, 1.0),
         aspect_ratio_range=(0.8, 1.25)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackInputs'),
]))
