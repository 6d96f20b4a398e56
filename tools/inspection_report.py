"""One self-contained HTML page from an inspection database: defect rate and defects per
class over time, the latest defective pictures with their boxes, and a filterable, paged
table of every picture and defect. Works offline (nothing fetched); every file name and
text from the database is shown as text.

Example:
    python tools/inspection_report.py line1.sqlite --out shift.html --since 8h
    python tools/inspection_report.py postgresql://qa@plant-db/inspection --model all
    python tools/inspection_report.py line1.sqlite --out shift.html --screenshot shift.png
    python tools/inspection_report.py line1.sqlite --out day.html --since '2026-12-02 06:00' \\
        --until '2026-12-02 14:00'
"""
import argparse
import sys

from mmdet_shuffledefect.inspection.report_page import parse_when, screenshot, write_report
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter


def when_arg(text: str) -> float:
    try:
        return parse_when(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description='HTML report of an inspection database')
    parser.add_argument('db', help='the SQLite file or postgresql:// URL of '
                        'tools/inspection_station.py or inspect_defects.py --db')
    parser.add_argument('--model', default='latest', metavar='latest|all|ID',
                        help='whose results: the newest model with pictures in the window, '
                        'every model broken down by model, or one model id (the page lists '
                        'them)')
    parser.add_argument('--out', default='inspection_report.html', help='the page to write')
    parser.add_argument('--since', type=when_arg, metavar='WHEN',
                        help="pictures inspected from then on: local '2026-12-02 06:00' or "
                        "an age such as '8h', '30m', '2d'")
    parser.add_argument('--until', type=when_arg, metavar='WHEN',
                        help='pictures inspected up to then (same forms)')
    parser.add_argument('--screenshot', metavar='FILE.png',
                        help='also a full-page picture of the report, rendered in headless '
                        'Chromium (needs chromium)')
    parser.add_argument('--latest', type=int, default=12,
                        help='how many of the latest defective pictures to show')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.latest < 0:
        print(f'error: --latest must be >= 0, got {args.latest}', file=sys.stderr)
        return 2
    if args.since is not None and args.until is not None and args.since > args.until:
        print('error: --since is after --until', file=sys.stderr)
        return 2
    try:
        shown = write_report(args.db, args.out, args.since, args.until, args.latest,
                             args.model)
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    except OSError as err:
        print(f'error: cannot write {args.out}: {err}', file=sys.stderr)
        return 1
    print(f'{args.out}: {shown["pictures"]} pictures, {shown["defects"]} defects of model '
          f'{", ".join(map(str, shown["models"]))} '
          f'({shown["bytes"] / 1e6:.1f} MB, self-contained)')
    if args.screenshot:
        try:
            screenshot(args.out, args.screenshot)
        except RuntimeError as err:
            print(f'error: {err}', file=sys.stderr)
            return 1
        print(f'{args.screenshot}: the page as Chromium draws it')
    return 0


if __name__ == '__main__':
    sys.exit(main())
