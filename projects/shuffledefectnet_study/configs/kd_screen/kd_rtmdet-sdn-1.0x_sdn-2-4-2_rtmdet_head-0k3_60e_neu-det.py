# Issue #48 screen, the distillation lever: the line detector's design (the 2-4-2 screen
# config: ShuffleDefectNet (2, 4, 2) + the 0k3 RTMDet head, no Mosaic, EMA, 60 epochs, 192 px)
# trained on the ground truth and on the published RTMDet + ShuffleDefectNet 1.0x detector
# (test mAP 0.701; same strides 8/16/32, classes and input normalisation) as a frozen
# teacher: DenseDistillDetector (mmdet_shuffledefect/models/detectors/dense_distill.py) adds
# BCE to the teacher's class probabilities and 1 - GIoU to its confident boxes at every prior
# point. The teacher stays out of the checkpoint: the result tests and exports with the line
# detector's own config. Another teacher: --cfg-options model.teacher_config=CFG
# model.teacher_ckpt=CKPT (an RTMDet-head detector on the same strides and classes).
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/kd_screen/kd_rtmdet-sdn-1.0x_sdn-2-4-2_rtmdet_head-0k3_60e_neu-det.py
_base_ = '../rtmdet_screen/sdn-2-4-2_rtmdet_no-mosaic_head-0k3_neu.py'

model = dict(
    type='DenseDistillDetector',
    teacher_config='configs/rtmdet/rtmdet_sdn-1.0x_fusion_120e-ema_neu-det.py',
    teacher_ckpt='checkpoints/rtmdet_sdn-1.0x_fusion_120e-ema_neu-det_20261202_105041-787deb4d.pth',
    kd_cls_weight=1.0,
    kd_box_weight=1.0,
    temperature=1.0,
    box_score_thr=0.3)
