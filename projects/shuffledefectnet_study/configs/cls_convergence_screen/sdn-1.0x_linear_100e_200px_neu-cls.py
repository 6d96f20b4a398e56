# #49 screen, the starting point (runs 3 and 5 of results/neu_cls_convergence.md): the
# convergence recipe as first written, with a +-90-degree turn at p=0.5 (with both flips, all
# eight symmetries of a square), random-resized crops of 50-100 % of the area and 100 cosine
# epochs. Run 5: tools/train.py CONFIG --epochs 60 (the schedule scaled to 60 epochs).
_base_ = '../../../../configs/classification/sdn-1.0x_linear_60e_200px_neu-cls.py'
max_epochs = 100
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=200, crop_ratio_range=(0.5, 1.0),
         aspect_ratio_range=(0.8, 1.25)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='Rotate', angle=90.0, prob=0.5, interpolation='nearest'),
    dict(type='PackInputs'),
]))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=200),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
