# Recipe lever: a wider neck and head on top of the 40-epoch recipe: SDNFusionNeck with 128
# output channels (96 in the recipe) on each of its 6 levels.
# Screened on val with the study's tools/screen_recipe.py (results/recipe_ablation.md).
_base_ = '../../../../configs/ssd/ssd_sdn-1.0x_fusion_40e_neu-det.py'

model = dict(neck=dict(out_channels=128), bbox_head=dict(in_channels=(128, ) * 6))
