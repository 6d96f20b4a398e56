# Issue #25's line detector: the lightest RTMDet head ("0k3": no stacked convs, 3x3
# predictions on the fusion neck's 96 channels; BatchNorm, DynamicSoftLabelAssigner,
# QualityFocalLoss + GIoU) on ShuffleDefectNet 1.0x with (2, 4, 2) units per stage instead of
# (4, 8, 4), 192 px, no Mosaic/MixUp, EMA, 120 epochs (cosine over 120; a checkpoint every
# epoch, so `tools/train.py ... --resume` continues a stopped run). 0.45 M parameters,
# 0.070 GFLOPs; exported, 1.5-2.5x the 192-px SSD's img/s on onnxruntime (2 threads, batch 32).
# The same training as
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/rtmdet_screen/sdn-2-4-2_rtmdet_no-mosaic_head-0k3_neu.py
#   --epochs 120
# written out, with NMS at IoU 0.5 (the 4-8-4 0k3 detector's choice on val; the IoU only acts
# at inference). results/recipe_ablation.md ("The speed goal at 192 px: a faster backbone").
#
#   python tools/train.py configs/rtmdet/rtmdet_sdn-2-4-2_fusion_head-0k3_120e-ema_neu-det.py
_base_ = '../_base_/rtmdet_sdn-1.0x_fusion_neu-det.py'

max_epochs = 120
model = dict(
    backbone=dict(stage_blocks=(2, 4, 2)),
    bbox_head=dict(stacked_convs=0, pred_kernel_size=3),
    test_cfg=dict(nms=dict(iou_threshold=0.5)))
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs),
]
train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_plain))
custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.001, gamma=300,
         update_buffers=True, priority=49),
]

# The per-class alarm thresholds of the published checkpoint live in the checkpoint itself
# (meta['inspection_score_thr'], chosen on val for those weights; results/alarm_thresholds/):
# the inspection tools and the station use them unless this config or --score-thr sets
# inspection_score_thr. A model trained on other classes chooses its own:
#   python tools/analysis_tools/choose_score_thr.py THIS_CONFIG work_dirs/.../best.pth \
#       --write-checkpoint work_dirs/.../my_detector.pth
