# Issue #48 screen, the milder jitter on the full-depth backbone: the line design's gain from
# the milder scale jitter (0.75-1.33 instead of 0.5-2.0: val +0.043 at 60 epochs, test
# 0.727 / 0.734 at 120 against 0.683 / 0.686) measured on ShuffleDefectNet 1.0x with its
# paper depth, (4, 8, 4) units per stage, and the same lightest RTMDet head (0k3). With the
# old jitter the full depth tested 0.702 against 0.684 for (2, 4, 2) at 120 epochs, level on
# val: the candidate for the accurate role (aim 0.75), slower than the line detector.
# results/recipe_ablation.md ("Issue #48 screen: the milder jitter at full depth").
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/line_screen/sdn_rtmdet_head-0k3_jitter-0.75-1.33_60e_neu-det.py
_base_ = '../rtmdet_screen/sdn_rtmdet_no-mosaic_head-0k3_neu.py'

train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_mild))
