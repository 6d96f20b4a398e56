"""Train a detector or classifier from a config (mmdet's flags).

Example:
    python tools/train.py configs/sdn_ssd_neu.py --work-dir work_dirs/sdn
    python tools/train.py configs/sdn_ssd_neu.py --resume            # latest in work dir
    python tools/train.py configs/sdn_ssd_neu.py --data-root data/MY/ --classes scale hole
    python tools/train.py configs/sdn_ssd_neu.py --resume work_dirs/sdn/epoch_3.pth
    python tools/train.py configs/sdn_ssd_neu.py --epochs 20   # whole schedule scaled to 20
    torchrun --nproc_per_node 2 tools/train.py CONFIG --launcher pytorch
"""
import argparse
import os.path as osp
import sys

import torch

import mmdet_shuffledefect  # noqa: F401  (registers modules, safe checkpoint loader)
from mmdet_shuffledefect.utils.cli import (DefaultsHelpFormatter, add_common_args, add_data_args,
                                           add_input_size_arg, apply_input_size, apply_trust, parse)
from mmdet_shuffledefect.utils.config_loading import default_work_dir, load_config
from mmdet_shuffledefect.utils.runner_setup import build_runner, setup_launcher
from mmdet_shuffledefect.utils.tool_errors import fail, run_guarded


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description='Train a ShuffleDefectNet model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or, without a path, from the latest '
        'checkpoint in the work dir')
    parser.add_argument('--epochs', type=int, metavar='N',
                        help='train for N epochs with the schedule scaled to them: the LR '
                        'schedule\'s end and T_max, the validation and checkpoint intervals '
                        'and a pipeline switch; a key also given in --cfg-options keeps that value '
                        '(default: the config\'s max_epochs)')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: fp16 with dynamic loss scaling on a CUDA GPU; '
                        'on a CPU, bf16 autocast of the training forward (CPUBF16OptimWrapper: '
                        'fast where the CPU has AMX or AVX512-BF16; the log names the precision)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the total batch size')
    add_input_size_arg(parser)
    add_data_args(parser)
    add_common_args(parser)
    return parse(parser, argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    apply_trust(args.trust_checkpoint)
    cfg = load_config(args.config, args.cfg_options, args.data_root, args.classes)
    apply_input_size(cfg, args.input_size)
    if args.epochs is not None:
        from mmdet_shuffledefect.utils.config_data import epoch_overrides
        try:
            options = epoch_overrides(cfg, args.epochs, given=args.cfg_options or {})
        except ValueError as err:
            fail(f'--epochs {args.epochs}: {err}')
        cfg.merge_from_dict(options)
        print('--epochs ' + str(args.epochs) + ': ' + ', '.join(f'{k}={v}' for k, v in
                                                                 options.items()), flush=True)
    setup_launcher(cfg, args.launcher)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or default_work_dir(args.config)

    if args.amp and torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    elif args.amp:  # mmengine's AmpOptimWrapper refuses a CPU-only machine
        cfg.optim_wrapper.type = 'CPUBF16OptimWrapper'
        print('--amp without a CUDA GPU: bf16 autocast of the training forward on the CPU '
              '(fp32 weights; validation and test in fp32)', flush=True)
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            fail(f'--auto-scale-lr needs auto_scale_lr.base_batch_size in {args.config}')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            fail(f'checkpoint {args.resume} given to --resume does not exist')
        cfg.resume, cfg.load_from = True, args.resume

    run_guarded(lambda: build_runner(cfg, args.verbose).train())


if __name__ == '__main__':
    sys.exit(main())
