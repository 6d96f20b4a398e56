# Issue #25 screen, the speed goal at 192 px: the lightest-head RTMDet
# (sdn_rtmdet_no-mosaic_head-0k3_neu.py: no stacked convs, 3x3 predictions on the neck; 60
# epochs, no Mosaic) on ShuffleDefectNet 1.0x with fewer units per stage, (3, 4, 3) instead of
# (4, 8, 4) - "possible to apply ... by limiting the number of the blocks" (the paper). The
# onnxruntime profile put 15 / 24 / 7 % of the 0k3 detector's time in stages 0 / 1 / 2 (4.5 /
# 3.5 / 2.1 ms per unit per batch of 32); the widths, neck and head are unchanged, so the
# trained 0k3 checkpoint loads into it with --partial-load. results/recipe_ablation.md
# ("a faster backbone").
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/rtmdet_screen/sdn-3-4-3_rtmdet_no-mosaic_head-0k3_neu.py
_base_ = '../../../../configs/_base_/rtmdet_sdn-1.0x_fusion_neu-det.py'

model = dict(
    backbone=dict(stage_blocks=(3, 4, 3)),
    bbox_head=dict(stacked_convs=0, pred_kernel_size=3))
train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_plain))
custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.001, gamma=300,
         update_buffers=True, priority=49),
]
