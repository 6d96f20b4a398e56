# NEU-CLS, the convergence recipe (configs/_base_/neu_cls_convergence.py): ShuffleDefectNet
# 1.0x from scratch at the native 200 px, 100 epochs.
#   python tools/train.py configs/classification/sdn-1.0x_linear_100e_200px_neu-cls.py
_base_ = '../_base_/neu_cls_convergence.py'
