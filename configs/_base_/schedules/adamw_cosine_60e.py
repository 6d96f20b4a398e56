# AdamW with a 30-iteration linear warm-up and a cosine decay over 60 epochs; validation
# every 5 epochs. From scratch (no ImageNet weights are reachable here).
max_epochs = 60
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    # mmengine's per-parameter rules, parameters grouped by equal options, fused AdamW
    constructor='GroupedOptimWrapperConstructor',
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.004, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=dict(max_norm=10.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True,
         begin=0, end=max_epochs),
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
