# NEU-CLS, the convergence recipe: mmpretrain's ShuffleNetV2 1.0x, only the backbone differs
# from configs/classification/sdn-1.0x_linear_60e_200px_neu-cls.py.
_base_ = '../_base_/neu_cls_convergence.py'
model = dict(backbone=dict(_delete_=True, type='ShuffleNetV2', widen_factor=1.0,
                           out_indices=(3, )))
