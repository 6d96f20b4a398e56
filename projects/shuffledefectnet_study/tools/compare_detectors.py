"""One table comparing detectors: test mAP@0.5 and AP per class, params, FLOPs,
CPU latency from one benchmark run, training time.

Each detector is ``LABEL=CONFIG:TRAIN_DIR:TEST_DIR``: its config, the
``--work-dir`` of its ``tools/train.py`` run (wall minutes and epochs from the
logs) and that of its ``tools/test.py`` run (the newest metrics). Latency comes
from ONE ``tools/analysis_tools/benchmark.py ... --json FILE`` run that timed
every config (``--benchmark FILE``), so the speeds are comparable; the whole
detector is timed with the fast post-processing where the head has it. With
``--out`` the table goes between ``<!-- TAG: begin/end -->`` of a results file.

Example:
    python tools/analysis_tools/benchmark.py configs/sdn_ssd_neu.py:SDN.pth \\
        configs/ssd/ssd_shufflenetv2-1.0x_fusion_60e-ema_neu-det.py:W/best.pth \\
        --threads 2 --images data/NEU-DET/IMAGES --json work_dirs/cmp/benchmark.json
    python projects/shuffledefectnet_study/tools/compare_detectors.py \\
        "SDN=configs/sdn_ssd_neu.py:work_dirs/sdn:work_dirs/sdn/test" \\
        "SNV2=configs/ssd/ssd_shufflenetv2-1.0x_fusion_60e-ema_neu-det.py:W:W/test" \\
        --benchmark work_dirs/cmp/benchmark.json --out results/neu_det_detection.md
"""
import argparse
import os.path as osp
import sys

import mmdet_shuffledefect  # noqa: F401
from sdn_study import screening
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
from mmdet_shuffledefect.utils.config_loading import load_config
from mmdet_shuffledefect.utils.tool_errors import fail
from mmdet_shuffledefect.utils.complexity import model_complexity
from sdn_study.detector_table import (comparison_rows, latency_cells,
                                                      read_benchmark, training_minutes)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('detectors', nargs='+', metavar='LABEL=CONFIG:TRAIN_DIR:TEST_DIR',
                        help='a row label, its config and the work dirs of its training '
                        'and test runs')
    parser.add_argument('--benchmark', required=True, metavar='FILE',
                        help='the JSON of one benchmark.py --json run over all the configs')
    screening.add_block_args(parser, tag='detector comparison')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    try:
        bench = read_benchmark(args.benchmark)
    except ValueError as err:
        fail(str(err))
    entries, sizes = [], {}  # sizes: config -> model_complexity (rows may share a config)
    for item in args.detectors:
        label, sep, rest = item.partition('=')
        parts = rest.split(':')
        if not sep or not label or len(parts) != 3 or not all(parts):
            fail(f'{item!r}: expected LABEL=CONFIG:TRAIN_DIR:TEST_DIR, e.g. '
                 '"SDN=configs/sdn_ssd_neu.py:work_dirs/sdn:work_dirs/sdn/test"')
        config, train_dir, test_dir = parts
        if not osp.isfile(config):
            fail(f'config file {config} (detector {label!r}) does not exist')
        if not osp.isdir(train_dir):
            fail(f'{train_dir} (training of {label!r}) is not a directory')
        try:
            if config not in sizes:
                sizes[config] = model_complexity(load_config(config))
            complexity = sizes[config]
            entries.append(dict(label=label, params_str=complexity['params_str'],
                                flops_str=complexity['flops_str'],
                                latency=latency_cells(bench, config),
                                training=training_minutes(train_dir),
                                metrics=screening.read_test_dir(test_dir,
                                                                f'test of {label!r}')))
        except ValueError as err:
            fail(str(err))
    try:
        rows = comparison_rows(entries)
    except ValueError as err:
        fail(str(err))
    env = bench.get('environment', {})
    where = (f"Latency: one benchmark run, device {bench.get('device', '?')}, "
             f"{bench.get('threads', '?')} threads, p50 of {bench.get('repeats', '?')} runs; "
             + ', '.join(f'{k} {v}' for k, v in env.items()) + '.')
    print('\n'.join(rows + ['', where]))
    screening.write_table(args, rows + ['', where], 'projects/shuffledefectnet_study/tools/compare_detectors.py',
                          argv)
    return 0


if __name__ == '__main__':
    sys.exit(main())
