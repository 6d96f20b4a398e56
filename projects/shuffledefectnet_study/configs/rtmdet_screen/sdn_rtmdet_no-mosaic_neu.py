# Issue #25 screen, leave-one-out: configs/_base_/rtmdet_sdn-1.0x_fusion_neu-det.py without Mosaic
# and MixUp. The
# plain pipeline (random resize 0.5-2x, crop, HSV, flips) that the full design switches to for
# its last epochs runs from the first epoch; nothing else changes (head, assigner, losses,
# EMA, schedule, 192 px). The question: crazing and rolled-in scale are textures that fill
# much of a picture, and Mosaic's quarter-size tiles cut them up; the full design gained most
# in the epochs after Mosaic went off (+0.034 in the last 10 of 60, +0.04 in the last 20 of 120).
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/rtmdet_screen/sdn_rtmdet_no-mosaic_neu.py
_base_ = '../../../../configs/_base_/rtmdet_sdn-1.0x_fusion_neu-det.py'

train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_plain))
custom_hooks = [
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.001, gamma=300,
         update_buffers=True, priority=49),
]
