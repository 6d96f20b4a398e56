"""Params and FLOPs of a config's model at its input size (detector or classifier).

Example:
    python tools/analysis_tools/get_flops.py configs/sdn_ssd_neu.py
"""
import argparse
import sys

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_classes_arg
from mmdet_shuffledefect.utils.config_loading import load_config
from mmdet_shuffledefect.utils.tool_errors import fail
from mmdet_shuffledefect.utils.complexity import model_complexity


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs='+', default=None,
                        help='input H W (default: the config input_size, else 192)')
    add_classes_arg(parser)
    args = parser.parse_args(argv)
    cfg = load_config(args.config, classes=args.classes)
    try:
        info = model_complexity(cfg, args.shape)
    except ValueError as err:
        fail(str(err))
    height, width = info['shape']
    print(f'config: {args.config}\ninput: 1x3x{height}x{width}\n'
          f'FLOPs: {info["flops_str"]}\nparams: {info["params_str"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
