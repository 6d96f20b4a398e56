# Issue #48 screen, the scale-jitter lever one step further on the line design: the milder
# jitter (0.75-1.33, val 0.695 against 0.651 with 0.5-2.0 at 60 epochs; crazing and
# rolled-in scale gained most) narrowed to a resize ratio of 0.9-1.11, so that nearly every
# crop keeps the annotated texture boxes whole. Everything else is the 60-epoch screen of
# sdn-2-4-2_rtmdet_head-0k3_jitter-0.75-1.33_60e_neu-det.py. results/recipe_ablation.md
# ("Issue #48 screen: the jitter narrowed further").
#
#   python tools/train.py
#   projects/shuffledefectnet_study/configs/line_screen/sdn-2-4-2_rtmdet_head-0k3_jitter-0.9-1.11_60e_neu-det.py
_base_ = '../rtmdet_screen/sdn-2-4-2_rtmdet_no-mosaic_head-0k3_neu.py'

train_pipeline_narrow = [
    dict(step, ratio_range=(0.9, 1.11)) if step['type'] == 'RandomResize' else step
    for step in _base_.train_pipeline_plain
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline_narrow))
