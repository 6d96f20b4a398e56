# Recipe lever: EMA of the weights (mmdet's ExpMomentumEMA through mmengine's EMAHook) on
# top of the 40-epoch recipe; validation and checkpoints use the averaged weights.
# momentum 0.001 (an average over ~1000 steps, ~6 epochs of batch 8), reached after a
# ramp of gamma=300 steps in which the average follows the weights closely.
# Screened on val with the study's tools/screen_recipe.py (results/recipe_ablation.md).
_base_ = '../../../../configs/ssd/ssd_sdn-1.0x_fusion_40e_neu-det.py'

custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.001, gamma=300,
         update_buffers=True, priority=49),
]
