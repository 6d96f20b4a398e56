"""Compare backbones at 192x192: params, FLOPs, CPU latency at batch 1 and 32.

Every ShuffleDefectNet width x unit variant, mmpretrain's ShuffleNetV2,
mmdet's MobileNetV2 and ResNet34 are timed in one run (same threads, warm-up,
median of repeats), so their ratios are comparable. Results go to a markdown
file with the command, library versions and git commit. Do not run it while a
training job shares the cores.

Example:
    python projects/shuffledefectnet_study/tools/benchmark_backbones.py --threads 2 \
        --out results/backbone_benchmark.md
"""
import argparse
import os
import os.path as osp
import sys

import torch


def candidates():
    """(name, builder) for every backbone in the table."""
    from mmdet.models.backbones import MobileNetV2, ResNet
    from mmpretrain.models.backbones import ShuffleNetV2

    from mmdet_shuffledefect.models.backbones import ShuffleDefectNet
    rows = []
    for w in (0.5, 1.0, 1.5, 2.0):
        rows.append((f'SDN {w}x (bottleneck, paper unit)',
                     lambda w=w: ShuffleDefectNet(widen_factor=w, out_indices=(3, ))))
        rows.append((f'SDN {w}x unit=v2',
                     lambda w=w: ShuffleDefectNet(widen_factor=w, unit='v2', out_indices=(3, ))))
        rows.append((f'mmpretrain ShuffleNetV2 {w}x',
                     lambda w=w: ShuffleNetV2(widen_factor=w, out_indices=(3, ))))
    rows.append(('SDN 1.0x groups=3 (ablation)',
                 lambda: ShuffleDefectNet(groups=3, out_indices=(3, ))))
    rows.append(('SDN 1.0x shortcut=avgpool (ablation)',
                 lambda: ShuffleDefectNet(shortcut='avgpool', out_indices=(3, ))))
    rows.append(('mmdet MobileNetV2 1.0x', lambda: MobileNetV2(out_indices=(7, ))))
    rows.append(('mmdet ResNet34', lambda: ResNet(depth=34, out_indices=(3, ))))
    return rows


def flops(model, size):
    from mmengine.analysis import FlopAnalyzer
    return FlopAnalyzer(model, (torch.rand(1, 3, size, size), )).total()


def main(argv=None):
    from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_old_spelling
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=int, default=192)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=15)
    parser.add_argument('--batch-size', type=int, nargs='+', default=[1, 32],
                        help='batch sizes to time')
    parser.add_argument('--only', help='substring filter on the row names')
    parser.add_argument('--out', default=None,
                        help='also write the table to this markdown file (e.g. '
                        'results/backbone_benchmark.md; nothing is written by default)')
    add_old_spelling(parser, '--batch', '--batch-size', type=int, nargs='+')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    from mmdet_shuffledefect.utils.env import environment_info
    from mmdet_shuffledefect.utils.timing import count_params, median_latency_ms
    header = ['backbone', 'params (M)', 'FLOPs (G)'] + [
        f'batch {b} (ms/img)' for b in args.batch_size]
    rows = []
    for name, build in candidates():
        if args.only and args.only not in name:
            continue
        model = build()
        model.eval()  # (mmpretrain's ShuffleNetV2.train() returns None, so no chaining)
        row = [name, f'{count_params(model) / 1e6:.2f}', f'{flops(model, args.size) / 1e9:.3f}']
        for b in args.batch_size:
            x = torch.rand(b, 3, args.size, args.size)
            ms = median_latency_ms(lambda: model(x), args.warmup, args.repeats)
            row.append(f'{ms / b:.2f}')
        rows.append(row)
        print(' | '.join(row), flush=True)
    env = environment_info()
    lines = ['# Backbone benchmark', '',
             f'Command: `python projects/shuffledefectnet_study/tools/benchmark_backbones.py '
             f'{" ".join(argv if argv is not None else sys.argv[1:])}`', '',
             f'Input {args.size}x{args.size}, fp32, eager PyTorch, {args.threads} threads, '
             f'{args.warmup} warm-up runs, median of {args.repeats}; latency per image.', '',
             '| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(r) + ' |' for r in rows]
    lines += ['', 'Environment: ' + ', '.join(f'{k} {v}' for k, v in env.items()), '']
    print('\n'.join(lines))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write('\n'.join(lines))
        print(f'written to {args.out}')


if __name__ == '__main__':
    main()
