"""How much of a class's AP is the box convention: the same predictions scored against the
annotated boxes and against them with each picture's overlapping boxes of the named classes
merged into one (``sdn_study.box_convention``).

Example:
    python tools/test.py CONFIG CHECKPOINT --split val --out val.pkl
    python projects/shuffledefectnet_study/tools/box_convention.py CONFIG val.pkl --split val \\
        --merge crazing rolled-in_scale --out results/box_convention/line_val.md
"""
import argparse
import sys

import mmdet_shuffledefect  # noqa: F401
from sdn_study.box_convention import convention_rows, convention_table, eval_detections
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_data_args
from mmdet_shuffledefect.utils.dump_reading import add_dump_args, read_split_dump
from mmdet_shuffledefect.utils.env import print_report
from mmdet_shuffledefect.utils.tool_errors import fail


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(formatter_class=DefaultsHelpFormatter,
                                     description=__doc__.splitlines()[0])
    add_dump_args(parser)
    parser.add_argument('--merge', nargs='+', default=['crazing', 'rolled-in_scale'],
                        metavar='CLASS', help='classes whose overlapping boxes are merged')
    parser.add_argument('--iou-thr', type=float, default=0.5, help='IoU of a hit')
    parser.add_argument('--out', help='also write the table (markdown) to this file')
    add_data_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not 0 < args.iou_thr <= 1:
        fail(f'--iou-thr must be in (0, 1], got {args.iou_thr}')
    dump = read_split_dump(args)
    classes, infos = dump.classes, dump.infos
    unknown = [c for c in args.merge if c not in classes]
    if unknown:
        fail(f'--merge {" ".join(unknown)}: not a class of the config; its classes: '
             f'{", ".join(classes)}')
    detections = eval_detections(dump.arrays, [str(info['img_id']) for info in infos],
                                 len(classes))
    rows = convention_rows(detections, [info['instances'] for info in infos], classes,
                           args.merge, args.iou_thr)
    lines = [f'config: {args.config}  predictions: {args.predictions} ({len(dump.arrays)} of the '
             f'{len(infos)} {args.split} pictures)  hit: IoU >= {args.iou_thr:g}; merged: '
             f'{", ".join(args.merge)}', ''] + convention_table(rows) + ['']
    print_report(lines[:-1] if lines and not lines[-1] else lines, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
