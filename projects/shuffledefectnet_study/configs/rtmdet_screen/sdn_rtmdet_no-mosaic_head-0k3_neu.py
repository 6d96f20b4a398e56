# Issue #25 screen, the speed goal: the no-Mosaic RTMDet design (rtmdet_screen/
# sdn_rtmdet_no-mosaic_neu.py, 60 epochs) with the lightest head: no stacked convs, the class
# and box predictions one 3x3 conv each straight on the fusion neck's 96 channels (shared
# across levels, BatchNorm per level as before). 0.103 G FLOPs at 192 px (the SSD: 0.106 G,
# the full design 0.348 G), 0.80 M parameters. Timed against the SSD in
# results/recipe_ablation.md ("a lighter head").
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/rtmdet_screen/sdn_rtmdet_no-mosaic_head-0k3_neu.py
_base_ = '../../../../configs/_base_/rtmdet_sdn-1.0x_fusion_neu-det.py'

model = dict(bbox_head=dict(stacked_convs=0, pred_kernel_size=3))
train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_plain))
custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.001, gamma=300,
         update_buffers=True, priority=49),
]
