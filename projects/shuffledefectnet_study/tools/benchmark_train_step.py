"""Training-step speed: mmdet's stock head + mmengine's optimizer constructor vs the lean step.

Both variants come from the same config through the real Runner (model, optimizer
wrapper, train dataloader); only two things differ:

* stock: the head as mmdet's ``SSDHead`` / ``RetinaHead`` (per-image targets and
  hard-negative mining) and ``DefaultOptimWrapperConstructor`` (one parameter
  group per tensor);
* lean: the config as it is (``FastSSDHead`` / ``FastRetinaHead`` with batched
  targets, ``GroupedOptimWrapperConstructor`` with fused AdamW).

Batches are collated once from a synthetic NEU-DET-format sample (or
``--data-root``) and reused, so the timing is the step alone:
``model.train_step`` (preprocess + forward + loss + backward + optimizer).

Example:
    python projects/shuffledefectnet_study/tools/benchmark_train_step.py configs/sdn_ssd_neu.py --threads 2
    python projects/shuffledefectnet_study/tools/benchmark_train_step.py configs/sdn_ssd_neu.py --device cuda --batch-size 64
"""
import argparse
import copy
import os.path as osp
import sys
import tempfile
from typing import Dict, List

import torch

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_classes_arg, add_old_spelling
from mmdet_shuffledefect.utils.config_loading import load_config
from mmdet_shuffledefect.utils.tool_errors import fail
from mmdet_shuffledefect.utils.env import print_report
from mmdet_shuffledefect.utils.timing import latency_samples_ms

STOCK_HEADS = {'FastSSDHead': 'SSDHead', 'FastRetinaHead': 'RetinaHead'}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--batch-size', type=int, nargs='+', default=[8, 32],
                        help='batch sizes to time')
    add_old_spelling(parser, '--batch-sizes', '--batch-size', type=int, nargs='+')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--steps', type=int, default=8, help='timed steps per row')
    parser.add_argument('--data-root', help='NEU-DET-layout data (default: a synthetic sample)')
    parser.add_argument('--out', help='also write the table (markdown) to this file')
    add_classes_arg(parser)
    return parser.parse_args(argv)


def variant_config(cfg, variant: str):
    """The stock or lean variant of ``cfg`` (see module doc)."""
    cfg = copy.deepcopy(cfg)
    if variant == 'stock':
        head = cfg.model.bbox_head
        head.type = STOCK_HEADS.get(head.type, head.type)
        head.pop('nms_chunk', None)
        cfg.optim_wrapper.constructor = 'DefaultOptimWrapperConstructor'
    return cfg


def time_variant(cfg, variant: str, batch: int, args, work_dir: str) -> Dict:
    from mmengine.runner import Runner
    cfg = variant_config(cfg, variant)
    cfg.work_dir = osp.join(work_dir, f'{variant}_{batch}')
    cfg.train_dataloader.batch_size = batch
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.default_hooks.logger.interval = 10 ** 6
    cfg.device = args.device
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    model = runner.model.to(args.device)
    optim_wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    loader = runner.build_dataloader(cfg.train_dataloader)
    batches: List = []
    for data in loader:
        batches.append(data)
        if len(batches) == 2:
            break
    model.train()
    state = {'i': 0}

    def step():
        with torch.enable_grad():
            model.train_step(batches[state['i'] % len(batches)], optim_wrapper)
        state['i'] += 1

    times = latency_samples_ms(step, args.warmup, args.steps, args.device)
    times.sort()
    p50 = times[len(times) // 2]
    return dict(variant=variant, batch=batch, ms=p50, img_s=batch * 1000.0 / p50,
                groups=len(optim_wrapper.optimizer.param_groups),
                fused=bool(optim_wrapper.optimizer.defaults.get('fused')))


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        fail(f'--device {args.device} requested but CUDA is not available')
    if min(args.batch_size) < 2:
        fail(f'--batch-size must be >= 2 (BatchNorm in training), got {args.batch_size}')
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        data_root = args.data_root
        if data_root is None:
            from mmdet_shuffledefect.data_prep import make_splits_for_dir, write_neu_det
            data_root = osp.join(tmp, 'data')
            write_neu_det(data_root, num_images=max(3 * max(args.batch_size), 60), seed=0)
            make_splits_for_dir(data_root, osp.join(data_root, 'splits'), seed=0,
                                ratios=(0.8, 0.1, 0.1))
        cfg = load_config(args.config, data_root=data_root, classes=args.classes)
        rows = []
        for batch in args.batch_size:
            for variant in ('stock', 'lean'):
                rows.append(time_variant(cfg, variant, batch, args, tmp))
    lines = [f'config {args.config}, device {args.device}, torch threads '
             f'{torch.get_num_threads()}, median of {args.steps} steps after {args.warmup} '
             'warm-up, pre-collated batches', '',
             '| variant | batch | ms / step | img/s | x stock | optimizer groups | fused |',
             '|---|---|---|---|---|---|---|']
    for row in rows:
        stock = next(r for r in rows if r['batch'] == row['batch'] and r['variant'] == 'stock')
        lines.append(f"| {row['variant']} | {row['batch']} | {row['ms']:.1f} | "
                     f"{row['img_s']:.1f} | {row['img_s'] / stock['img_s']:.2f} | "
                     f"{row['groups']} | {row['fused']} |")
    print_report(lines, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
