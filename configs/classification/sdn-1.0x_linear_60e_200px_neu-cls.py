# NEU-CLS, the convergence recipe (configs/_base_/neu_cls_convergence.py): ShuffleDefectNet
# 1.0x from scratch at the native 200 px, 60 epochs, the last epoch tested.
#   python tools/train.py configs/classification/sdn-1.0x_linear_60e_200px_neu-cls.py
#   python projects/shuffledefectnet_study/tools/cross_validate.py \
#       configs/classification/sdn-1.0x_linear_60e_200px_neu-cls.py --folds 5 --checkpoint last
_base_ = '../_base_/neu_cls_convergence.py'
