"""Where an exported whole detector's time goes in onnxruntime: by operator type and by
part of the detector (backbone, neck, head convolutions, pre/post-processing) and module.

One or more ``.onnx`` files (written by ``tools/deployment/export_onnx.py`` or
``quantize.py``) run on the same batch of steel pictures (``--images DIR``, else the
synthetic sample's), each in its own session:

* timed without the profiler, the files taking turns for ``--rounds`` rounds (p50 ms
  per batch of ``--repeats`` runs after ``--warmup`` each): the range over the rounds,
  and each file's speed as a ratio to the first file's in the same round;
* then ``--profile-runs`` runs with onnxruntime's profiler on, whose node times are
  summed by part, by module (backbone stage, neck or head layer) and by operator
  type. Node times add up to more or less than the wall time (the profiler's own
  cost, the runtime's overhead between nodes).

Example:
    python tools/analysis_tools/profile_onnx.py work_dirs/deploy/sdn_ssd_neu.onnx \\
        --images data/NEU-DET/IMAGES --batch-size 32 --threads 2 --out profile.md
"""
import argparse
import os.path as osp
import sys
import tempfile
from typing import List

import numpy as np

from mmdet_shuffledefect.deployment.ort_profile import kernel_events, time_by
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
from mmdet_shuffledefect.utils.tool_errors import fail
from mmdet_shuffledefect.utils.env import environment_info, print_report
from mmdet_shuffledefect.utils.timing import latency_samples_ms, percentile


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('models', nargs='+', metavar='MODEL.onnx', help='exported detectors')
    parser.add_argument('--images', metavar='DIR', default=None,
                        help='steel pictures (default: the synthetic sample)')
    parser.add_argument('--batch-size', type=int, default=32, help='images per run')
    parser.add_argument('--threads', type=int, default=2, help='onnxruntime intra-op threads')
    parser.add_argument('--warmup', type=int, default=5, help='untimed runs')
    parser.add_argument('--repeats', type=int, default=30, help='timed runs (no profiler)')
    parser.add_argument('--rounds', type=int, default=3,
                        help='timing rounds, the files taking turns')
    parser.add_argument('--profile-runs', type=int, default=20, help='runs with the profiler')
    parser.add_argument('--top', type=int, default=15, help='operator types listed')
    parser.add_argument('--out', default=None, help='write the tables to this markdown file')
    return parser.parse_args(argv)


def session(path: str, threads: int, profile_prefix: str = ''):
    """An onnxruntime CPU session of ``path``, profiling into ``profile_prefix`` if given."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    if profile_prefix:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])


def wall_ms(path: str, images: np.ndarray, args) -> float:
    """p50 ms per batch of one file, no profiler."""
    plain = session(path, args.threads)
    feed = {'images': images}
    return percentile(latency_samples_ms(lambda: plain.run(None, feed), args.warmup,
                                         args.repeats), 50)


def profile_lines(path: str, images: np.ndarray, walls: List[float], args,
                  tmp: str) -> List[str]:
    """The three tables (by part, by module, by operator type) of one file."""
    feed = {'images': images}
    profiled = session(path, args.threads, osp.join(tmp, osp.basename(path)))
    for _ in range(args.warmup + args.profile_runs):
        profiled.run(None, feed)
    events = kernel_events(profiled.end_profiling(), skip_runs=args.warmup)
    runs = args.profile_runs
    parts, ops = time_by(events, 'part', runs), time_by(events, 'op', runs)
    node_ms = sum(r['ms'] for r in parts)
    batch = images.shape[0]
    rates = [1000 * batch / w for w in walls]
    lines = [f'### {osp.basename(path)}', '',
             f'batch {batch}, {args.threads} threads: **{min(walls):.1f}-{max(walls):.1f} ms '
             f'per batch**, {min(rates):.0f}-{max(rates):.0f} img/s (p50 of {args.repeats} '
             f'runs, no profiler, {len(walls)} rounds); node time {node_ms:.1f} ms per run '
             f'(mean of {runs} profiled runs)', '',
             '| part | ms per batch | share of node time |', '|---|---|---|']
    lines += [f"| {r['name']} | {r['ms']:.2f} | {100 * r['share']:.1f} % |" for r in parts]
    lines += ['', '| module (backbone stage, neck/head layer) | nodes run | ms per batch | '
              'share of node time |', '|---|---|---|---|']
    lines += [f"| {r['name']} | {r['nodes']:.0f} | {r['ms']:.2f} | {100 * r['share']:.1f} % |"
              for r in time_by(events, 'module', runs)]
    lines += ['', '| operator type | nodes run | ms per batch | share of node time |',
              '|---|---|---|---|']
    lines += [f"| {r['name']} | {r['nodes']:.0f} | {r['ms']:.2f} | {100 * r['share']:.1f} % |"
              for r in ops[:args.top]]
    rest = ops[args.top:]
    if rest:
        lines.append(f'| {len(rest)} other types | {sum(r["nodes"] for r in rest):.0f} | '
                     f'{sum(r["ms"] for r in rest):.2f} | '
                     f'{100 * sum(r["share"] for r in rest):.1f} % |')
    return lines + ['']


def main(argv=None) -> int:
    args = parse_args(argv)
    for path in args.models:
        if not osp.isfile(path):
            fail(f'{path} does not exist')
        if not path.endswith('.onnx'):
            fail(f'expected a .onnx file, got {path}')
    if min(args.batch_size, args.profile_runs, args.repeats, args.rounds) < 1:
        fail('--batch-size, --repeats, --rounds and --profile-runs must be >= 1')
    from mmdet_shuffledefect.data_prep.bench_pictures import load_pictures_or_exit, picture_batch
    from mmdet_shuffledefect.deployment import OnnxDetector
    pictures = load_pictures_or_exit(args.images, args.batch_size)
    import onnxruntime
    env = environment_info()
    lines = [f"onnxruntime {onnxruntime.__version__} profile on {env['cpu']}; git "
             f"{env['git_commit']}", '']
    batches = {}
    for path in args.models:
        try:
            height, width = OnnxDetector(path).input_size
        except ValueError as err:
            fail(str(err), code=1)
        batches[path] = picture_batch(pictures, args.batch_size, height, width)
    walls = {path: [] for path in args.models}
    for _ in range(args.rounds):
        for path in args.models:
            walls[path].append(wall_ms(path, batches[path], args))
    first = args.models[0]
    if len(args.models) > 1:
        lines += [f'| file | img/s as a ratio to {osp.basename(first)}, each round |',
                  '|---|---|']
        for path in args.models[1:]:
            ratios = [a / b for a, b in zip(walls[first], walls[path])]
            lines.append(f'| {osp.basename(path)} | '
                         + ', '.join(f'{r:.2f}x' for r in ratios) + ' |')
        lines.append('')
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.models:
            lines += profile_lines(path, batches[path], walls[path], args, tmp)
    print_report(lines, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
