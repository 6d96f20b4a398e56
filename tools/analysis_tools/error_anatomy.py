"""What a detector's detections of each class are, in AP's order: hits and kinds of miss.

Reads the predictions ``tools/test.py --out FILE.pkl`` dumped for a split and that split's
annotations (through the config's dataset), walks each class's detections from the
highest score down as AP@``--iou-thr`` does, and tables what they are: hits, duplicates,
near misses (IoU ``--near-iou`` to ``--iou-thr``; larger than the annotated box, smaller,
or shifted), weak overlaps, background, pictures without the class
(``mmdet_shuffledefect/evaluation/error_anatomy.py``). Columns: the first N and 2N
detections (N: the class's annotated boxes, where AP is mostly decided) and all of them.

Example:
    python tools/test.py configs/sdn_ssd_neu.py CKPT --split val --out val.pkl
    python tools/analysis_tools/error_anatomy.py configs/sdn_ssd_neu.py val.pkl --split val \\
        --show crazing rolled-in_scale --out anatomy.md
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List

import numpy as np

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.evaluation.error_anatomy import anatomy_table, detection_kinds
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_data_args
from mmdet_shuffledefect.utils.dump_reading import add_dump_args, read_split_dump
from mmdet_shuffledefect.utils.tool_errors import fail
from mmdet_shuffledefect.utils.env import print_report


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(formatter_class=DefaultsHelpFormatter,
                                     description=__doc__.splitlines()[0])
    add_dump_args(parser)
    parser.add_argument('--show', nargs='+', metavar='CLASS',
                        help='the classes to table (default: every class)')
    parser.add_argument('--iou-thr', type=float, default=0.5, help='IoU of a hit')
    parser.add_argument('--near-iou', type=float, default=0.3, help='lowest IoU of a near miss')
    parser.add_argument('--score-thr', type=float, default=0.0,
                        help='leave out detections scored below this')
    parser.add_argument('--out', help='also write the tables (markdown) to this file')
    parser.add_argument('--draw', metavar='DIR',
                        help='also draw, per class shown, the pictures of its top-ranked '
                        'near misses: DIR/<class>.jpg (annotated boxes green, hits blue, '
                        'near misses orange, duplicates grey, the rest red)')
    parser.add_argument('--pictures', type=int, default=12,
                        help='pictures per drawing (--draw)')
    add_data_args(parser)
    return parser.parse_args(argv)


def class_detections(arrays: list, label: int, score_thr: float) -> list:
    """``(score, picture, box)`` of every prediction of ``label`` scored >= ``score_thr``
    (``arrays``: :func:`prediction_arrays`)."""
    out = []
    for picture, labels, scores, boxes in arrays:
        keep = (labels == label) & (scores >= score_thr)
        out += [(float(s), picture, b) for s, b in zip(scores[keep], boxes[keep])]
    return out


#: kind -> BGR colour of its boxes in --draw's pictures (near misses share one)
KIND_COLOURS = {'hit': (255, 80, 0), 'duplicate': (150, 150, 150), 'near miss': (0, 140, 255)}
OTHER_COLOUR = (0, 0, 255)
DRAW_SCALE = 2  # NEU pictures are 200 px: drawn at 400 so that ranks and thin boxes read


def draw_class(name: str, rows: List[dict], gts: Dict[str, np.ndarray], paths: Dict[str, str],
               num_boxes: int, count: int, out_file: str) -> int:
    """Draw the pictures of ``name``'s top-ranked near misses (in rank order, up to
    ``count``), each with its annotated boxes and its detections among the first 2N ranks
    (``rows``: :func:`detection_kinds`' output) labelled ``#rank score``; write one contact
    sheet. Returns the pictures drawn."""
    import cv2

    from mmdet_shuffledefect.visualization.contact_sheet import (GT_COLOUR, caption_tile,
                                                                 contact_sheet, draw_boxes)
    ranked = rows[:2 * num_boxes]
    chosen: List[str] = []
    for row in ranked:
        if row['kind'].startswith('near miss') and row['picture'] not in chosen:
            chosen.append(row['picture'])
    chosen = chosen[:count]
    tiles = []
    for picture in chosen:
        img = cv2.imread(paths[picture])
        if img is None:
            print(f'[error_anatomy] cannot read {paths[picture]}; left out of {out_file}')
            continue
        img = cv2.resize(img, None, fx=DRAW_SCALE, fy=DRAW_SCALE, interpolation=cv2.INTER_LINEAR)
        img = draw_boxes(img, gts[picture] * DRAW_SCALE, GT_COLOUR, thickness=2)
        mine = [(rank, row) for rank, row in enumerate(ranked, 1) if row['picture'] == picture]
        for rank, row in mine:
            colour = KIND_COLOURS.get(row['kind'].split(',')[0], OTHER_COLOUR)
            img = draw_boxes(img, row['box'][None] * DRAW_SCALE, colour,
                             [f"#{rank} {row['score']:.2f}"], thickness=2)
        kinds = [row['kind'].split(',')[0] for _, row in mine]
        tiles.append(caption_tile(img, [picture, f"{kinds.count('hit')} hit(s), "
                                        f"{kinds.count('near miss')} near miss(es)"],
                                  size=img.shape[1]))
    if not tiles:
        return 0
    sheet = contact_sheet(tiles, cols=4, title=(
        f'{name}: pictures of the top-ranked near misses (ranks 1-{len(ranked)}); green '
        'annotated, blue hit, orange near miss, grey duplicate, red other'))
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    cv2.imwrite(out_file, sheet, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return len(tiles)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.pictures < 1:
        fail(f'--pictures must be >= 1, got {args.pictures}')
    if not 0 < args.near_iou <= args.iou_thr <= 1:
        fail(f'expected 0 < --near-iou <= --iou-thr <= 1, got {args.near_iou} and '
             f'{args.iou_thr}')
    dump = read_split_dump(args)
    classes, infos, arrays = dump.classes, dump.infos, dump.arrays
    unknown = [c for c in args.show or [] if c not in classes]
    if unknown:
        fail(f'--show {" ".join(unknown)}: not a class of the config; its classes: '
             f'{", ".join(classes)}')
    paths = {str(info['img_id']): info['img_path'] for info in infos}
    lines = [f'config: {args.config}  predictions: {args.predictions} ({len(arrays)} of the '
             f'{len(infos)} {args.split} pictures)  hit: IoU >= {args.iou_thr:g}, near miss: '
             f'{args.near_iou:g}-{args.iou_thr:g}, scores >= {args.score_thr:g}', '']
    for name in args.show or classes:
        label = classes.index(name)
        gts: Dict[str, np.ndarray] = {
            str(info['img_id']): np.array([i['bbox'] for i in info['instances']
                                           if i['bbox_label'] == label and
                                           not i.get('ignore_flag', 0)],
                                          np.float64).reshape(-1, 4)
            for info in infos}
        rows = detection_kinds(class_detections(arrays, label, args.score_thr), gts,
                               args.iou_thr, args.near_iou)
        num_boxes = sum(len(b) for b in gts.values())
        lines += anatomy_table(name, rows, num_boxes) + ['']
        if args.draw:
            out_file = osp.join(args.draw, f'{name}.jpg')
            drawn = draw_class(name, rows, gts, paths, num_boxes, args.pictures, out_file)
            print(f'[error_anatomy] {name}: {drawn} picture(s) drawn'
                  + (f' to {out_file}' if drawn else ' (no near miss in its top ranks)'))
    print_report(lines[:-1] if lines and not lines[-1] else lines, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
