# #49 screen, forward step from run 4 (no 90-degree turns): random-resized crops of
# 80-100 % of the area instead of 50-100 % (a texture's scale changes by at most 1.12x
# instead of 1.41x). Run at 60 epochs with tools/train.py --epochs 60.
_base_ = './sdn-1.0x_linear_100e_200px_no-rot90_neu-cls.py'
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=200, crop_ratio_range=(0.8, 1.0),
         aspect_ratio_range=(0.8, 1.25)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackInputs'),
]))
