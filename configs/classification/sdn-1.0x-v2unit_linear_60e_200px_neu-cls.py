# NEU-CLS, the convergence recipe: ShuffleDefectNet 1.0x with the plain ShuffleNet V2 unit (the
# ablation that isolates the paper's change); only the backbone's unit differs.
_base_ = '../_base_/neu_cls_convergence.py'
model = dict(backbone=dict(unit='v2'))
