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
import os.path as osp
import sys
from typing import Dict, List

import numpy as np

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.evaluation.error_anatomy import anatomy_table, detection_kinds
from mmdet_shuffledefect.utils.cli import (DefaultsHelpFormatter, add_data_args,
                                           build_annotations, fail, load_config)
from mmdet_shuffledefect.utils.env import environment_info, write_report


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(formatter_class=DefaultsHelpFormatter,
                                     description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the config the predictions were made with')
    parser.add_argument('predictions', help='a .pkl file of tools/test.py --out')
    parser.add_argument('--split', choices=['test', 'val'], default='test',
                        help='the split the predictions are of (tools/test.py --split)')
    parser.add_argument('--show', nargs='+', metavar='CLASS',
                        help='the classes to table (default: every class)')
    parser.add_argument('--iou-thr', type=float, default=0.5, help='IoU of a hit')
    parser.add_argument('--near-iou', type=float, default=0.3, help='lowest IoU of a near miss')
    parser.add_argument('--score-thr', type=float, default=0.0,
                        help='leave out detections scored below this')
    parser.add_argument('--out', help='also write the tables (markdown) to this file')
    add_data_args(parser)
    return parser.parse_args(argv)


def load_predictions(path: str) -> List[dict]:
    """The list ``tools/test.py --out`` dumped (mmdet's ``DumpDetResults``); exit 1 with
    the file named when it is missing or not such a dump."""
    from mmengine.fileio import load
    if not osp.isfile(path):
        fail(f'predictions file {path} does not exist', code=1)
    try:
        preds = load(path, file_format='pkl')
    except Exception as err:  # noqa: BLE001  (any unreadable file gets the same message)
        fail(f'{path} is not a predictions dump of tools/test.py --out '
             f'({type(err).__name__}: {err})', code=1)
    if not isinstance(preds, list) or not all(
            isinstance(p, dict) and 'img_id' in p and 'pred_instances' in p for p in preds):
        fail(f'{path} is not a predictions dump of tools/test.py --out: expected a list of '
             'dicts with img_id and pred_instances', code=1)
    return preds


def class_detections(preds: List[dict], label: int, score_thr: float) -> list:
    """``(score, picture, box)`` of every prediction of ``label`` scored >= ``score_thr``."""
    out = []
    for pred in preds:
        inst = pred['pred_instances']
        labels, scores, boxes = (np.asarray(inst[k]) for k in ('labels', 'scores', 'bboxes'))
        keep = (labels == label) & (scores >= score_thr)
        out += [(float(s), str(pred['img_id']), b) for s, b in zip(scores[keep], boxes[keep])]
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    if not 0 < args.near_iou <= args.iou_thr <= 1:
        fail(f'expected 0 < --near-iou <= --iou-thr <= 1, got {args.near_iou} and '
             f'{args.iou_thr}')
    cfg = load_config(args.config, None, args.data_root, args.classes)
    dataset = build_annotations(cfg, f'{args.split}_dataloader')
    classes = list(dataset.metainfo['classes'])
    unknown = [c for c in args.show or [] if c not in classes]
    if unknown:
        fail(f'--show {" ".join(unknown)}: not a class of the config; its classes: '
             f'{", ".join(classes)}')
    preds = load_predictions(args.predictions)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    pictures = {str(info['img_id']) for info in infos}
    strays = sorted({str(p['img_id']) for p in preds} - pictures)
    if strays:
        fail(f'{args.predictions}: {len(strays)} predicted picture(s) are not in the '
             f'{args.split} split of {args.config} (e.g. {strays[0]}); were the predictions '
             f'made with --split {"val" if args.split == "test" else "test"}?', code=1)
    lines = [f'config: {args.config}  predictions: {args.predictions} ({len(preds)} of the '
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
        rows = detection_kinds(class_detections(preds, label, args.score_thr), gts,
                               args.iou_thr, args.near_iou)
        lines += anatomy_table(name, rows, sum(len(b) for b in gts.values())) + ['']
    env = environment_info()
    lines.append('environment: ' + ', '.join(f'{k} {v}' for k, v in env.items()))
    print('\n'.join(lines))
    if args.out:
        write_report(args.out, lines)
    return 0


if __name__ == '__main__':
    sys.exit(main())
