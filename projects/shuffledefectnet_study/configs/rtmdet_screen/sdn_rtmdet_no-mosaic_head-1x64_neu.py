# Issue #25 screen, the speed goal: the no-Mosaic RTMDet design (rtmdet_screen/
# sdn_rtmdet_no-mosaic_neu.py, 60 epochs) with a lighter head: one 3x3 conv of 64 channels per
# branch instead of two of 96. The head's convolutions are about 70 % of the design's FLOPs
# (0.348 G at 192 px, the SSD 0.106 G); this one: 0.180 G, 0.88 M parameters. The exported
# whole detector is timed against the SSD in results/recipe_ablation.md ("a lighter head").
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/rtmdet_screen/sdn_rtmdet_no-mosaic_head-1x64_neu.py
_base_ = '../../../../configs/_base_/rtmdet_sdn-1.0x_fusion_neu-det.py'

model = dict(bbox_head=dict(stacked_convs=1, feat_channels=64))
train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_plain))
custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.001, gamma=300,
         update_buffers=True, priority=49),
]
