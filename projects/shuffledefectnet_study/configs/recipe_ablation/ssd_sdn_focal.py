# Recipe lever: focal classification loss for SSD (FocalSSDHead: sigmoid focal loss over
# every anchor instead of softmax cross-entropy with 3:1 hard-negative mining) on top of
# the 40-epoch recipe.
# Screened on val with the study's tools/screen_recipe.py (results/recipe_ablation.md).
_base_ = '../../../../configs/ssd/ssd_sdn-1.0x_fusion_40e_neu-det.py'

model = dict(
    bbox_head=dict(
        type='FocalSSDHead',
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                      loss_weight=1.0)))
