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
from mmdet_shuffledefect.evaluation.prediction_dump import (load_prediction_dump,
                                                            prediction_arrays)
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_data_args
from mmdet_shuffledefect.utils.config_loading import build_annotations, load_config
from mmdet_shuffledefect.utils.env import environment_info, write_report
from mmdet_shuffledefect.utils.tool_errors import fail


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(formatter_class=DefaultsHelpFormatter,
                                     description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the config the predictions were made with')
    parser.add_argument('predictions', help='a .pkl file of tools/test.py --out')
    parser.add_argument('--split', choices=['test', 'val'], default='test',
                        help='the split the predictions are of (tools/test.py --split)')
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
    cfg = load_config(args.config, None, args.data_root, args.classes)
    dataset = build_annotations(cfg, f'{args.split}_dataloader')
    classes = list(dataset.metainfo['classes'])
    unknown = [c for c in args.merge if c not in classes]
    if unknown:
        fail(f'--merge {" ".join(unknown)}: not a class of the config; its classes: '
             f'{", ".join(classes)}')
    try:
        arrays = prediction_arrays(load_prediction_dump(args.predictions))
    except (FileNotFoundError, ValueError) as err:
        fail(str(err), code=1)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    pictures = [str(info['img_id']) for info in infos]
    try:
        detections = eval_detections(arrays, pictures, len(classes))
    except ValueError as err:
        fail(f'{args.predictions}: {err} of {args.config}; were the predictions made with '
             f'--split {"val" if args.split == "test" else "test"}?', code=1)
    rows = convention_rows(detections, [info['instances'] for info in infos], classes,
                           args.merge, args.iou_thr)
    lines = [f'config: {args.config}  predictions: {args.predictions} ({len(arrays)} of the '
             f'{len(infos)} {args.split} pictures)  hit: IoU >= {args.iou_thr:g}; merged: '
             f'{", ".join(args.merge)}', ''] + convention_table(rows) + ['']
    env = environment_info()
    lines.append('environment: ' + ', '.join(f'{k} {v}' for k, v in env.items()))
    print('\n'.join(lines))
    if args.out:
        write_report(args.out, lines)
    return 0


if __name__ == '__main__':
    sys.exit(main())
