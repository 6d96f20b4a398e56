# Issue #48, the stride-4 level at the final schedule: the published line detector
# (configs/rtmdet/rtmdet_sdn-2-4-2_fusion_head-0k3_jitter-0.75-1.33_120e-ema_neu-det.py: 120
# epochs, EMA, NMS IoU 0.5, the milder jitter) with the backbone's stem (stride 4, 24
# channels) as a fourth, finer level of the fusion neck and the head, as in the 60-epoch
# screen sdn-2-4-2_rtmdet_head-0k3_jitter-0.75-1.33_stride-4_60e_neu-det.py.
# results/recipe_ablation.md ("Issue #48 screen: a stride-4 level").
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/line_screen/rtmdet_sdn-2-4-2_fusion_head-0k3_jitter-0.75-1.33_stride-4_120e-ema_neu-det.py
_base_ = '../../../../configs/rtmdet/rtmdet_sdn-2-4-2_fusion_head-0k3_jitter-0.75-1.33_120e-ema_neu-det.py'

strides = [4, 8, 16, 32]
model = dict(
    backbone=dict(out_stem=True),
    neck=dict(in_channels=[24, 116, 232, 464], num_outs=len(strides)),
    bbox_head=dict(anchor_generator=dict(strides=strides)))
