# Issue #25's final recipe: the RTMDet design (configs/sdn_rtmdet_neu.py: RTMDetSepBNHead with
# BatchNorm, DynamicSoftLabelAssigner, QualityFocalLoss + GIoU on ShuffleDefectNet 1.0x and the
# fusion neck, 192 px, EMA) without Mosaic/MixUp -- the plain random resize/crop/HSV/flip
# pipeline from the first epoch -- for 120 epochs (cosine over 120). The leave-one-out screen
# (results/recipe_ablation.md) found Mosaic/MixUp costing accuracy on these 200-px textures at
# 60 and at 120 epochs. The same training as
#   python tools/train.py configs/detection/rtmdet_screen/sdn_rtmdet_no-mosaic_neu.py --epochs 120
# with a checkpoint every epoch (resumable: tools/train.py ... --resume), and NMS at IoU 0.5
# instead of the design's 0.6, chosen on the val split after training (the IoU only acts at
# inference; tools/analysis_tools/sweep_test_cfg.py, results/recipe_ablation.md).
#
#   python tools/train.py configs/detection/sdn_rtmdet_no-mosaic_120e_neu-det.py
_base_ = '../sdn_rtmdet_neu.py'

max_epochs = 120
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
model = dict(test_cfg=dict(nms=dict(iou_threshold=0.5)))

# Alarm thresholds per class for tools/inspect_defects.py and tools/inspection_station.py
# (unless --score-thr is given): this head's quality-aware scores are low on crazing, whose
# boxes agree little with the annotator's, so the one-for-all 0.3 flagged crazing on 43 % of
# the test pictures holding it; these flag 95-100 % of every class's (false alarms 0-11 %).
# Chosen on val for the published checkpoint, then read once on test:
#   python tools/analysis_tools/choose_score_thr.py THIS_CONFIG \
#       checkpoints/sdn_rtmdet_neu_120e-ema-a3a4cb2a.pth --read-test
# (results/alarm_thresholds/sdn_rtmdet_neu_120e.md)
inspection_score_thr = {'crazing': 0.2, 'inclusion': 0.2, 'patches': 0.35,
                        'pitted_surface': 0.35, 'rolled-in_scale': 0.3, 'scratches': 0.4}
