# Recipe lever: SSD's geometric augmentation (mmdet's SSD/SSDLite pipelines) on top of the
# 40-epoch recipe: Expand (zoom out, x1-4, half of the images) then MinIoURandomCrop (zoom
# in, crops keeping every box at IoU >= one of 0.1-0.9), before the resize.
# Screened on val with the study's tools/screen_recipe.py (results/recipe_ablation.md).
_base_ = '../../../../configs/ssd/ssd_sdn-1.0x_fusion_40e_neu-det.py'

input_size = _base_.input_size
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PhotoMetricDistortion', brightness_delta=24, contrast_range=(0.7, 1.3),
         saturation_range=(1.0, 1.0), hue_delta=0),
    dict(type='Expand', mean=[127.5, 127.5, 127.5], to_rgb=True, ratio_range=(1, 4)),
    dict(type='MinIoURandomCrop', min_ious=(0.1, 0.3, 0.5, 0.7, 0.9), min_crop_size=0.3),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
