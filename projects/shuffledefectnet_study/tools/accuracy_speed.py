"""One accuracy-speed picture of the published detectors, with the peers as reference points.

Every detector of the model index with a test mAP@0.5 becomes a point: its metafile mAP
and 95 % bootstrap interval against its exported whole-detector img/s (batch 32,
onnxruntime and OpenVINO f32) in one ``benchmark.py --json`` run, as a ratio to the
reference detector of that run (``--reference``, default the paper's). ``--size-run
NAME@PX=WORK_DIR`` adds a published checkpoint at another input size: its test mAP and
interval from a ``tools/test.py --input-size PX`` run (tested with
``test_evaluator.bootstrap=200``), its speed from the benchmark rows at that size.
``--peers FILE`` draws detectors measured elsewhere from their ratio ranges, source named.
The table of points is printed (and with ``--out`` written into a results file).

Example:
    python projects/shuffledefectnet_study/tools/accuracy_speed.py \\
        --size-run rtmdet_sdn-2-4-2_fusion_head-0k3_120e-ema_neu-det@256=work_dirs/published_tests/line_256 \\
        --peers results/peer_detectors.json --png results/figures/accuracy_speed.png \\
        --out results/accuracy_speed.md
"""
import argparse
import os.path as osp
import sys

import mmdet_shuffledefect  # noqa: F401
from sdn_study import screening
from sdn_study import accuracy_speed as acc
from mmdet_shuffledefect.reporting import model_zoo as zoo
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
from mmdet_shuffledefect.utils.tool_errors import fail

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('--index', default=osp.join(REPO, 'model-index.yml'),
                        help='the model index whose detectors are drawn')
    parser.add_argument('--speed', help='benchmark.py --json run of the published detectors '
                        f'(default: {zoo.SPEED_FILE} beside the index)')
    parser.add_argument('--reference', help='model name the speeds are divided by '
                        '(default: the model with Role paper)')
    parser.add_argument('--size-run', action='append', default=[], metavar='NAME@PX=WORK_DIR',
                        help='a published model at another input size and the work dir of '
                        'its tools/test.py --input-size PX run (repeatable)')
    parser.add_argument('--peers', help='JSON of detectors measured elsewhere (ratio ranges '
                        'to the same reference, with their source)')
    parser.add_argument('--png', help='save the picture here')
    screening.add_block_args(parser, tag='accuracy-speed points')
    return parser.parse_args(argv)


def short(name: str) -> str:
    """A model name without the dataset suffix (``_neu-det``)."""
    for suffix in ('_neu-det', '_neu'):
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


def published_points(models, record, reference):
    """The points of every detector in the index; names of those without a speed row."""
    points, untimed = [], []
    for m in models:
        metric, value = zoo.main_metric(m)
        if metric != 'mAP@0.5':
            continue
        interval = m['Metadata'].get('Test Interval')
        interval = acc.parse_interval(interval, m['Name']) if interval else None
        role = zoo.role_label(m)
        label = (f'{role}: ' if role else '') + short(m['Name'])
        point = acc.speed_point(label, value, interval, record, m['Config'], reference)
        if point.ratios:
            points.append(point)
        else:
            untimed.append(m['Name'])
    return points, untimed


def size_point(item, models, record, reference):
    """The point of one ``NAME@PX=WORK_DIR``."""
    spec, sep, work_dir = item.partition('=')
    name, at, px = spec.partition('@')
    if not sep or not at or not px.isdigit():
        raise ValueError(f'--size-run {item!r}: expected NAME@PX=WORK_DIR')
    entry = next((m for m in models if m['Name'] == name), None)
    if entry is None:
        raise ValueError(f'--size-run {item!r}: no model {name!r} in the index')
    metrics = screening.read_test_dir(work_dir, f'{name} at {px} px')
    low, high = (metrics.get(screening.MAP_KEY + '_low'),
                 metrics.get(screening.MAP_KEY + '_high'))
    if low is None or high is None:
        raise ValueError(f'{work_dir}: no bootstrap interval (test it with --cfg-options '
                         'test_evaluator.bootstrap=200)')
    point = acc.speed_point(f'{short(name)} @ {px} px', metrics[screening.MAP_KEY],
                            (low, high), record, entry['Config'], reference,
                            input_size=int(px), kind='other size')
    if not point.ratios:
        raise ValueError(f'--size-run {item!r}: the benchmark run has no {px}-px row of '
                         f'{entry["Config"]}')
    return point


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    try:
        models = zoo.load_models(args.index)
        speed_file = zoo.speed_path(args.index, args.speed)
        record = zoo.load_speed(speed_file)
        ref_name = args.reference or next(
            (m['Name'] for m in models if 'paper' in zoo.model_roles(m)), None)
        ref = next((m for m in models if m['Name'] == ref_name), None)
        if ref is None:
            raise ValueError(f'reference model {ref_name!r} is not in {args.index}')
        reference = {r: zoo.speed_of(record, ref['Config'], r) for r in acc.RUNTIMES}
        if not all(reference.values()):
            raise ValueError(f'{speed_file} does not time the reference {ref_name} on '
                             f'{[r for r, v in reference.items() if not v]}')
        points, untimed = published_points(models, record, reference)
        points += [size_point(item, models, record, reference) for item in args.size_run]
        peers = acc.load_peers(args.peers) if args.peers else []
    except (FileNotFoundError, ValueError) as err:
        fail(str(err))
    env = record['environment']
    where = (f"one benchmark.py run, {record.get('threads', '?')} threads, "
             f"{env.get('cpu', '?')}, commit {env.get('git_commit', '?')}")
    rows = acc.table_rows(points + peers)
    rows += ['', f'Speeds: whole detector (NMS inside), batch 32, {where}; x ref = ratio to '
             f'{ref_name} in that run.']
    rows += [f'Peer {p.label}: {p.source}' for p in peers]
    rows += [f'Not drawn (no row in {osp.basename(speed_file)}): {n}' for n in untimed]
    print('\n'.join(rows))
    if args.png:
        acc.plot(points + peers, args.png,
                 f'NEU-DET test split (360 pictures); speeds: {where}; ratio to {ref_name}',
                 reference)
        print(f'[accuracy_speed] picture written to {args.png}')
    screening.write_table(args, rows, 'projects/shuffledefectnet_study/tools/accuracy_speed.py',
                          argv)
    return 0


if __name__ == '__main__':
    sys.exit(main())
