"""A contact sheet of a trained detector's detections on a split, one row per class.

For each class asked for, the first ``--per-class`` images of the split (sorted by
name) that hold a box of that class are drawn with their ground truth (green) and
the detections scoring at least ``--score-thr`` (red, class and score); the caption
gives the file name, the ground-truth boxes and the detections (in brackets: those of
the row's class). Meant for the weakest classes of a results
table: what the numbers miss, a picture shows.

Example:
    python tools/analysis_tools/show_detections.py configs/sdn_ssd_neu.py best.pth \\
        --show-classes crazing rolled-in_scale --per-class 6 \\
        --out results/figures/sdn_ssd_neu_weakest_test.jpg
    python tools/analysis_tools/show_detections.py CONFIG CKPT --split val_dataloader \\
        --data-root my_data/ --classes scale hole --show-classes hole
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Tuple

import cv2
import numpy as np
from mmengine.config import DictAction

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.utils.cli import (DefaultsHelpFormatter, add_data_args, add_trust_arg,
                                           apply_trust)
from mmdet_shuffledefect.utils.config_loading import load_config
from mmdet_shuffledefect.utils.tool_errors import fail
from mmdet_shuffledefect.visualization import (GT_COLOUR, PRED_COLOUR, caption_tile,
                                               contact_sheet, draw_boxes)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('config', help='detector config')
    parser.add_argument('checkpoint', help='trained checkpoint')
    parser.add_argument('--show-classes', nargs='+', metavar='NAME',
                        help='one row per class (default: every class)')
    parser.add_argument('--per-class', type=int, default=6, help='images per class row')
    parser.add_argument('--split', default='test_dataloader',
                        choices=['train_dataloader', 'val_dataloader', 'test_dataloader'])
    parser.add_argument('--score-thr', type=float, default=0.3, help='minimum detection score')
    parser.add_argument('--tile-size', type=int, default=200, help='px per image in the sheet')
    parser.add_argument('--out', default='detections.jpg', help='picture to write (.jpg/.png)')
    add_data_args(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries as in mmdet\'s tools')
    add_trust_arg(parser)
    return parser.parse_args(argv)


def pick_images(dataset, classes, wanted, per_class):
    """``{class: [data_info, ...]}``: the first ``per_class`` images (by file name)
    holding a box of each wanted class."""
    infos = sorted((dataset.get_data_info(i) for i in range(len(dataset))),
                   key=lambda info: osp.basename(info['img_path']))
    picked = {}
    for name in wanted:
        label = classes.index(name)
        picked[name] = [info for info in infos
                        if any(inst['bbox_label'] == label for inst in info['instances'])
                        ][:per_class]
    return picked


def check_args(args) -> None:
    """Exit with one message when a number or the checkpoint is wrong."""
    if args.per_class < 1:
        fail(f'--per-class must be >= 1, got {args.per_class}')
    if args.tile_size < 16:
        fail(f'--tile-size must be at least 16 px, got {args.tile_size}')
    if not 0.0 <= args.score_thr <= 1.0:
        fail(f'--score-thr must be in [0, 1], got {args.score_thr}')
    if not osp.isfile(args.checkpoint):
        fail(f'checkpoint {args.checkpoint} does not exist')


def picked_images(cfg, args) -> Tuple[List[str], Dict[str, list]]:
    """The split's classes and, per shown class, up to ``--per-class`` of its images."""
    from mmdet.registry import DATASETS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    dataset_cfg = dict(cfg[args.split]['dataset'])
    dataset_cfg['pipeline'] = []
    try:
        dataset = DATASETS.build(dataset_cfg)
    except Exception as err:  # a missing data root, split file or image
        fail(f'cannot build the {args.split} dataset: {type(err).__name__}: {err}', code=1)
    classes = list(dataset.metainfo['classes'])
    wanted = args.show_classes or classes
    unknown = [name for name in wanted if name not in classes]
    if unknown:
        fail(f'--show-classes {" ".join(unknown)}: not a class of the {args.split} dataset '
             f'(its classes: {", ".join(classes)})')
    picked = pick_images(dataset, classes, wanted, args.per_class)
    empty = [name for name, infos in picked.items() if not infos]
    if empty:
        fail(f'the {args.split} dataset has no image with a box of {", ".join(empty)}', code=1)
    return classes, picked


def row_tiles(model, model_classes: List[str], name: str, infos: list, args) -> list:
    """One row of the sheet: the class ``name``'s images with truth and detections."""
    from mmdet_shuffledefect.apis import detect_many
    imgs = []
    for info in infos:
        img = cv2.imread(info['img_path'], cv2.IMREAD_COLOR)
        if img is None:
            fail(f'cannot read image {info["img_path"]}', code=1)
        imgs.append(img)
    tiles = []
    preds = detect_many(model, imgs, score_thr=args.score_thr, batch_size=len(imgs))
    for info, img, (boxes, scores, labels) in zip(infos, imgs, preds):
        gt = np.array([inst['bbox'] for inst in info['instances']], np.float32)
        # draw on the picture at its size in the sheet: lines stay one pixel wide
        scale = np.array([args.tile_size / img.shape[1], args.tile_size / img.shape[0]] * 2,
                         np.float32)
        shown = cv2.resize(img, (args.tile_size, args.tile_size), interpolation=cv2.INTER_AREA)
        shown = draw_boxes(shown, gt.reshape(-1, 4) * scale, GT_COLOUR)
        shown = draw_boxes(shown, np.asarray(boxes).reshape(-1, 4) * scale, PRED_COLOUR,
                           [f'{model_classes[int(l)][:8]} {s:.2f}'
                            for s, l in zip(scores, labels)])
        hits = int(sum(model_classes[int(l)] == name for l in labels))
        tiles.append(caption_tile(shown, [
            osp.splitext(osp.basename(info['img_path']))[0],
            f'GT {len(gt)}  det {len(boxes)} ({hits})'], size=args.tile_size))
    return tiles


def main(argv=None) -> int:
    args = parse_args(argv)
    check_args(args)
    apply_trust(args.trust_checkpoint)
    cfg = load_config(args.config, args.cfg_options, args.data_root, args.classes)
    classes, picked = picked_images(cfg, args)

    from mmdet_shuffledefect.apis import init_inspection_model
    try:
        model = init_inspection_model(cfg, args.checkpoint)
    except Exception as err:  # not a checkpoint of this config
        fail(f'cannot load {args.checkpoint} into {args.config}: {type(err).__name__}: {err}', code=1)
    model_classes = list(model.dataset_meta.get('classes') or classes)
    tiles = []
    for name, infos in picked.items():
        tiles += row_tiles(model, model_classes, name, infos, args)
    sheet = contact_sheet(tiles, cols=args.per_class,
                          title=f'{osp.basename(args.config)} on {args.split.split("_")[0]}: '
                          f'green = truth, red = detections >= {args.score_thr}; '
                          f'caption: GT boxes, detections (of the row\'s class)')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    if not cv2.imwrite(args.out, sheet, [cv2.IMWRITE_JPEG_QUALITY, 85]):
        fail(f'cannot write {args.out} (use a .jpg or .png name)')
    print(f'wrote {args.out}: {len(tiles)} images, rows {", ".join(picked)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
