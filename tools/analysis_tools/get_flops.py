"""Params and FLOPs of a config's model at its input size (detector or classifier).

Example:
    python tools/analysis_tools/get_flops.py configs/sdn_ssd_neu.py
"""
import argparse
import sys

import torch

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.utils.cli import add_classes_arg, fail, load_config


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs='+', default=None,
                        help='input H W (default: the config input_size, else 192)')
    add_classes_arg(parser)
    args = parser.parse_args(argv)
    cfg = load_config(args.config, classes=args.classes)
    shape = args.shape or [int(cfg.get('input_size', 192))] * 2
    if len(shape) == 1:
        shape = shape * 2
    if len(shape) != 2 or min(shape) < 32:
        fail(f'--shape must be H W of at least 32 px, got {args.shape}')
    from mmengine.analysis import get_model_complexity_info
    from mmengine.registry import DefaultScope
    scope = cfg.get('default_scope', 'mmdet')
    with DefaultScope.overwrite_default_scope(scope):
        if scope == 'mmpretrain':
            from mmpretrain.registry import MODELS
        else:
            from mmdet.registry import MODELS
        model = MODELS.build(cfg.model).eval()
    # Tensor mode, no data samples: mmdet detectors have ``_forward``, mmpretrain
    # classifiers default to mode='tensor'. Bind before replacing ``forward``.
    model.forward = getattr(model, '_forward', model.forward)
    info = get_model_complexity_info(model, inputs=(torch.rand(1, 3, *shape), ),
                                     show_table=False, show_arch=False)
    print(f'config: {args.config}\ninput: 1x3x{shape[0]}x{shape[1]}\n'
          f'FLOPs: {info["flops_str"]}\nparams: {info["params_str"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
