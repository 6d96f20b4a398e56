# Issue #48 screen, the scale-jitter lever on the line design (the 2-4-2 screen config:
# ShuffleDefectNet (2, 4, 2) + the 0k3 RTMDet head, no Mosaic, EMA, 60 epochs, 192 px,
# val 0.651). Its training resize draws a scale ratio in 0.5-2.0 and crops 192 px: at 2.0 a
# crop holds a quarter of the picture, and crazing and rolled-in scale, textures that the
# annotator boxed over large parts of the picture, reach the head as cut boxes that no test
# picture has. This run draws in 0.75-1.33 (every crop at least 56 % of the picture's side);
# everything else is unchanged (the pipeline is the base's train_pipeline_mild).
# results/recipe_ablation.md ("Issue #48 screen").
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/line_screen/sdn-2-4-2_rtmdet_head-0k3_jitter-0.75-1.33_60e_neu-det.py
_base_ = '../rtmdet_screen/sdn-2-4-2_rtmdet_no-mosaic_head-0k3_neu.py'

train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_mild))
