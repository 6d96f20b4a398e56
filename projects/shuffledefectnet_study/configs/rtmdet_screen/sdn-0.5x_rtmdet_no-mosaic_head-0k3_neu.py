# Issue #25 screen, the speed goal: the lightest-head RTMDet (sdn_rtmdet_no-mosaic_head-0k3_neu.py:
# no stacked convs, 3x3 predictions on the neck; 60 epochs, no Mosaic, 192 px) on
# ShuffleDefectNet 0.5x instead of 1.0x. With the head as light as the SSD's, the backbone and
# neck are 0.09 of the 0.103 GFLOPs and the exported detector ran at 1.35x the SSD on
# onnxruntime, short of the 1.6x; this one: 0.042 G, 0.24 M parameters.
# results/recipe_ablation.md ("a lighter head").
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/rtmdet_screen/sdn-0.5x_rtmdet_no-mosaic_head-0k3_neu.py
_base_ = '../../../../configs/_base_/rtmdet_sdn-1.0x_fusion_neu-det.py'

model = dict(
    backbone=dict(widen_factor=0.5),
    neck=dict(in_channels=[48, 96, 192]),
    bbox_head=dict(stacked_convs=0, pred_kernel_size=3))
train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_plain))
custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.001, gamma=300,
         update_buffers=True, priority=49),
]
