"""A markdown table of test runs: mAP@0.5 and AP per class per run, and their mean.

Each run is ``LABEL=WORK_DIR``, the ``--work-dir`` of a ``tools/test.py`` run (its
newest metrics are read); ``--first`` puts the named classes first, and a run tested
with ``test_evaluator.bootstrap=N`` brings its 95 % interval (a column where every run
has one). With ``--out`` the table goes between the markers
``<!-- TAG: begin/end -->`` of a results file, the rest of the file kept, and the
commands that made the runs (``--command``, one per run) are listed under it.

Example:
    python tools/test.py configs/sdn_ssd_neu.py work_dirs/final/seed0/best.pth \\
        --work-dir work_dirs/final/test_seed0
    python projects/shuffledefectnet_study/tools/test_table.py "seed 0=work_dirs/final/test_seed0" \\
        "seed 1=work_dirs/final/test_seed1" --out results/neu_det_detection.md \\
        --tag "sdn_ssd_neu seeds"
"""
import argparse
import sys

import mmdet_shuffledefect  # noqa: F401
from sdn_study import screening
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
from mmdet_shuffledefect.utils.tool_errors import fail


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('runs', nargs='+', metavar='LABEL=WORK_DIR',
                        help='a row label and the work dir of its tools/test.py run')
    parser.add_argument('--no-mean', action='store_true', help='no mean row')
    parser.add_argument('--first', nargs='+', default=[], metavar='CLASS',
                        help='classes to put first, in this order (e.g. the hardest ones)')
    screening.add_block_args(parser, tag='test table')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    runs = []
    for item in args.runs:
        label, sep, work_dir = item.partition('=')
        if not sep or not label or not work_dir:
            fail(f'{item!r}: expected LABEL=WORK_DIR, e.g. "seed 0=work_dirs/test_seed0"')
        try:
            runs.append((label, screening.read_test_dir(work_dir, f'run {label!r}')))
        except ValueError as err:
            fail(str(err))
    try:
        rows = screening.test_rows(runs, mean=not args.no_mean, first=args.first)
    except ValueError as err:
        fail(str(err))
    print('\n'.join(rows))
    screening.write_table(args, rows, 'projects/shuffledefectnet_study/tools/test_table.py', argv)
    return 0


if __name__ == '__main__':
    sys.exit(main())
