# Issue #48: the line detector's training (configs/rtmdet/
# rtmdet_sdn-2-4-2_fusion_head-0k3_120e-ema_neu-det.py: 120 epochs, 192 px, EMA, NMS IoU 0.5,
# a checkpoint every epoch so that `--resume` continues a stopped run) with the scale jitter
# narrowed to 0.9-1.11, as its 60-epoch screen
# (sdn-2-4-2_rtmdet_head-0k3_jitter-0.9-1.11_60e_neu-det.py). Only the training pipeline
# differs from the published line detector (jitter 0.75-1.33). results/recipe_ablation.md.
#
#   python tools/train.py projects/shuffledefectnet_study/configs/line_screen/rtmdet_sdn-2-4-2_fusion_head-0k3_jitter-0.9-1.11_120e-ema_neu-det.py
_base_ = '../../../../configs/rtmdet/rtmdet_sdn-2-4-2_fusion_head-0k3_120e-ema_neu-det.py'

train_pipeline_narrow = [
    dict(step, ratio_range=(0.9, 1.11)) if step['type'] == 'RandomResize' else step
    for step in _base_.train_pipeline_plain
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline_narrow))
