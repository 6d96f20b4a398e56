# Issue #48 screen, a stride-4 level for the fine textures: the line design with the milder
# jitter (sdn-2-4-2_rtmdet_head-0k3_jitter-0.75-1.33_60e_neu-det.py, val 0.695, crazing 0.339,
# rolled-in scale 0.600 at 60 epochs) with a fourth, finer level. The error anatomy of the
# published line detector puts a third of its top crazing detections at IoU 0.3-0.5 (boxes
# shifted over the right texture); the fusion neck's finest level was stride 8 (24 x 24
# points at 192 px), so the backbone's stem (stride 4, 24 channels, before any unit) now
# feeds the neck as well and the head predicts on 48 x 48 points more. Everything else is
# unchanged. results/recipe_ablation.md ("Issue #48 screen: a stride-4 level").
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/line_screen/sdn-2-4-2_rtmdet_head-0k3_jitter-0.75-1.33_stride-4_60e_neu-det.py
_base_ = './sdn-2-4-2_rtmdet_head-0k3_jitter-0.75-1.33_60e_neu-det.py'

strides = [4, 8, 16, 32]
model = dict(
    backbone=dict(out_stem=True),
    neck=dict(in_channels=[24, 116, 232, 464], num_outs=len(strides)),
    bbox_head=dict(anchor_generator=dict(strides=strides)))
