"""The training-set-size study's table and plot: test mAP@0.5 and AP per class against
the number of training images.

Each point is ``IMAGES=WORK_DIR``: the number of training images of a run and the
``--work-dir`` of its ``tools/test.py`` run. The table is printed (and with ``--out``
written between ``<!-- TAG: begin/end -->`` of a results file); ``--png`` saves the plot,
one line per class and the mean.

Example:
    python projects/shuffledefectnet_study/tools/data_size_study.py 312=work_dirs/size/test_25pct \\
        630=work_dirs/size/test_50pct 1260=work_dirs/final/test_seed0 \\
        --png results/neu_det_data_size.png --out results/neu_det_detection.md
"""
import argparse
import sys

import mmdet_shuffledefect  # noqa: F401
from sdn_study import screening
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
from mmdet_shuffledefect.utils.tool_errors import fail
from sdn_study.data_size_plot import data_size_series, plot_data_size


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('points', nargs='+', metavar='IMAGES=WORK_DIR',
                        help='training images of a run and the work dir of its test run')
    parser.add_argument('--png', help='save the plot here')
    screening.add_block_args(parser, tag='training-set size')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    points = []
    for item in args.points:
        count, sep, work_dir = item.partition('=')
        if not sep or not count.strip().isdigit() or not work_dir:
            fail(f'{item!r}: expected IMAGES=WORK_DIR with a whole number of training '
                 'images, e.g. 312=work_dirs/size/test_25pct')
        try:
            points.append((int(count), screening.read_test_dir(
                work_dir, f'the run with {count} training images')))
        except ValueError as err:
            fail(str(err))
    try:
        counts, series = data_size_series(points)
    except ValueError as err:
        fail(str(err))
    names = list(series)
    rows = ['| training images | ' + ' | '.join(
                'mAP@0.5' if n == 'mean' else n for n in names) + ' |',
            '|---' * (len(names) + 1) + '|']
    for i, n in enumerate(counts):
        rows.append(f'| {n} | ' + ' | '.join(f'{series[k][i]:.3f}' for k in names) + ' |')
    print('\n'.join(rows))
    if args.png:
        plot_data_size(counts, series, args.png)
        print(f'[data_size_study] plot saved to {args.png}')
    screening.write_table(args, rows, 'projects/shuffledefectnet_study/tools/data_size_study.py', argv)
    return 0


if __name__ == '__main__':
    sys.exit(main())
