# Recipe lever: in-domain pretraining on top of the 40-epoch recipe: the backbone starts from
# a NEU-CLS classifier (configs/classification/sdn-1.0x_linear_30e_neu-cls.py, 30 epochs from
# scratch, last epoch) trained on the NEU-CLS training split, which is the NEU-DET training
# split mapped by (class, index): no val or test picture was seen in pretraining (the
# classifier's val runs only monitored it; its last epoch is used, not the best on val).
# Screened on val with the study's tools/screen_recipe.py (results/recipe_ablation.md).
_base_ = '../../../../configs/ssd/ssd_sdn-1.0x_fusion_40e_neu-det.py'

model = dict(
    backbone=dict(
        init_cfg=dict(_delete_=True, type='Pretrained', prefix='backbone.',
                      checkpoint='checkpoints/'
                      'sdn-1.0x_linear_30e_neu-cls_20261126_101938-0c1e84ef.pth')))
