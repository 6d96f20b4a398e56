# Issue #48, the milder jitter on the full-depth backbone at the final schedule: the
# published line detector's recipe (configs/rtmdet/rtmdet_sdn-2-4-2_fusion_head-0k3_jitter-
# 0.75-1.33_120e-ema_neu-det.py: 120 epochs, EMA, NMS IoU 0.5, the 0k3 head, the milder
# jitter) on ShuffleDefectNet 1.0x with the paper's depth, (4, 8, 4) units per stage, as in
# the 60-epoch screen sdn_rtmdet_head-0k3_jitter-0.75-1.33_60e_neu-det.py.
# results/recipe_ablation.md ("Issue #48 screen: the milder jitter at full depth").
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/line_screen/rtmdet_sdn-1.0x_fusion_head-0k3_jitter-0.75-1.33_120e-ema_neu-det.py
_base_ = '../../../../configs/rtmdet/rtmdet_sdn-2-4-2_fusion_head-0k3_jitter-0.75-1.33_120e-ema_neu-det.py'

model = dict(backbone=dict(stage_blocks=(4, 8, 4)))
