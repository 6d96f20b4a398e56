"""Classifier training-step speed in fp32 and in bf16 autocast (CPUBF16OptimWrapper).

Each config's model and optimizer wrapper are built as its training builds them
(the config's optimizer and constructor; only the wrapper type differs between
the rows: ``OptimWrapper`` for fp32, ``CPUBF16OptimWrapper`` for bf16), then
``model.train_step`` (preprocess + forward + loss + backward + optimizer) is
timed on two fixed batches of random pictures, so the time is the step alone.
Rows take turns over ``--rounds`` rounds; the table gives each row's range of
round medians and the bf16/fp32 speed ratio.

Example:
    python projects/shuffledefectnet_study/tools/benchmark_train_precision.py \\
        configs/classification/sdn-1.0x_linear_60e_200px_neu-cls.py \\
        configs/classification/resnet34_linear_60e_200px_neu-cls.py --threads 1
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List

import torch

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.engine.optimizers import cpu_has_native_bf16
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
from mmdet_shuffledefect.utils.config_loading import load_config
from mmdet_shuffledefect.utils.env import print_report
from mmdet_shuffledefect.utils.timing import latency_samples_ms
from mmdet_shuffledefect.utils.tool_errors import fail

#: precision -> the optimizer wrapper that trains in it
WRAPPERS = {'fp32': 'OptimWrapper', 'bf16': 'CPUBF16OptimWrapper'}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(formatter_class=DefaultsHelpFormatter,
                                     description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='mmpretrain classifier configs')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--input-size', type=int, default=200, help='square picture side, px')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--steps', type=int, default=5, help='timed steps per row and round')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--out', help='also write the table (markdown) to this file')
    return parser.parse_args(argv)


def build_step(config: str, precision: str, args):
    """The training step of ``config`` in ``precision``, as a no-argument callable."""
    from mmengine.registry import init_default_scope
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    cfg = load_config(config)
    if cfg.get('default_scope') != 'mmpretrain':
        fail(f'{config}: not an mmpretrain classifier config (default_scope '
             f"{cfg.get('default_scope')!r}); this benchmark times classifiers")
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model_cfg = dict(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(model_cfg)
    optim_cfg = dict(cfg.optim_wrapper, type=WRAPPERS[precision])
    wrapper = build_optim_wrapper(model, optim_cfg)
    num_classes = cfg.model.head.num_classes
    g = torch.Generator().manual_seed(1)
    batches = [dict(inputs=[torch.randint(0, 256, (3, args.input_size, args.input_size),
                                          generator=g, dtype=torch.uint8)
                            for _ in range(args.batch_size)],
                    data_samples=[DataSample().set_gt_label(i % num_classes)
                                  for i in range(args.batch_size)]) for _ in range(2)]
    model.train()
    state = {'i': 0}

    def step():
        with torch.enable_grad():
            model.train_step(batches[state['i'] % 2], wrapper)
        state['i'] += 1

    return step


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.batch_size < 2:
        fail(f'--batch-size must be >= 2 (BatchNorm in training), got {args.batch_size}')
    if args.rounds < 1:
        fail(f'--rounds must be >= 1, got {args.rounds}')
    for config in args.configs:
        if not osp.isfile(config):
            fail(f'config file {config} does not exist')
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = [dict(config=c, precision=p, step=build_step(c, p, args), ms=[])
            for c in args.configs for p in WRAPPERS]
    for _ in range(args.rounds):
        for row in rows:
            times = sorted(latency_samples_ms(row['step'], args.warmup, args.steps))
            row['ms'].append(times[len(times) // 2])
    lines = [f'batch {args.batch_size} at {args.input_size} px, torch threads '
             f'{torch.get_num_threads()}, native bf16: {cpu_has_native_bf16()}; per row the '
             f'range of {args.rounds} round medians of {args.steps} steps (after {args.warmup} '
             'warm-up), rows taking turns', '',
             '| config | precision | ms / step | img/s | bf16 / fp32 speed |',
             '|---|---|---|---|---|']
    for row in rows:
        fp32 = next(r for r in rows if r['config'] == row['config'] and r['precision'] == 'fp32')
        lo, hi = min(row['ms']), max(row['ms'])
        ratio = [f / b for f, b in zip(fp32['ms'], row['ms'])]
        lines.append(f"| {osp.basename(row['config'])} | {row['precision']} | {lo:.0f}-{hi:.0f} | "
                     f"{args.batch_size * 1000 / hi:.1f}-{args.batch_size * 1000 / lo:.1f} | "
                     f"{min(ratio):.2f}-{max(ratio):.2f}x |")
    print_report(lines, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
