# Issue #48 screen, distillation with the box term alone: the first screen
# (kd_rtmdet-sdn-1.0x_sdn-2-4-2_rtmdet_head-0k3_60e_neu-det.py, val 0.626 against 0.651
# without a teacher) lost most on crazing and rolled-in scale, where the teacher's class
# probabilities are themselves weak; this run keeps only the teacher's localisation
# (1 - IoU to its confident boxes) and drops the pull to its class probabilities.
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/kd_screen/kd-box_rtmdet-sdn-1.0x_sdn-2-4-2_rtmdet_head-0k3_60e_neu-det.py
_base_ = './kd_rtmdet-sdn-1.0x_sdn-2-4-2_rtmdet_head-0k3_60e_neu-det.py'

model = dict(kd_cls_weight=0.0, kd_box_weight=1.0)
