# Training-set-size study (results/neu_det_detection.md): the final recipe
# (configs/sdn_ssd_neu.py) on the nested, stratified 50 % of the NEU-DET training split
# (mmdet_shuffledefect/split_lists/neu-det/train_50pct.txt,
# tools/dataset_converters/make_subsets.py), for
# 2x the epochs, so it makes the same number of optimizer steps as the 100 % run
# (about 9,400 of batch 8). Same val and test split, seed, EMA and learning-rate curve.
#
#   python tools/train.py projects/shuffledefectnet_study/configs/sdn_ssd_neu_train-50pct_120e.py
_base_ = '../../../configs/sdn_ssd_neu.py'

max_epochs = 120
train_dataloader = dict(dataset=dict(ann_file='splits/train_50pct.txt'))
# validation every 10 epochs: the same 12 validations as the 100 % run
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs),
]
