# The line detector (issue #48): the design of
# rtmdet_sdn-2-4-2_fusion_head-0k3_120e-ema_neu-det.py (ShuffleDefectNet with (2, 4, 2) units
# per stage, the lightest RTMDet head, 192 px, no Mosaic/MixUp, EMA, 120 epochs, NMS IoU 0.5)
# trained with the milder scale jitter (train_pipeline_mild of the base: a resize ratio in
# 0.75-1.33 instead of 0.5-2.0 before the 192-px crop). Only the training pipeline differs,
# so the model, its speed and its exports are those of the earlier line detector; test mAP
# 0.727 / 0.734 on seeds 0 / 1 against 0.683 / 0.686 (results/recipe_ablation.md, "Issue #48").
# A checkpoint every epoch: `tools/train.py THIS_CONFIG --resume` continues a stopped run.
#
#   python tools/train.py configs/rtmdet/rtmdet_sdn-2-4-2_fusion_head-0k3_jitter-0.75-1.33_120e-ema_neu-det.py
_base_ = './rtmdet_sdn-2-4-2_fusion_head-0k3_120e-ema_neu-det.py'

train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_mild))
