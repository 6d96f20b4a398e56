"""How well a config's anchors fit the ground-truth boxes of its training data.

For every ground-truth box (scaled to the model input as the pipeline's
``Resize`` scales it) it finds the IoU of the best anchor and the number of
anchors at or above the assigner's positive threshold, and prints a table per
class: boxes, median aspect (long side / short side), median best IoU, share
of boxes whose best anchor reaches the threshold, and mean positives per box.
A class whose boxes are matched by one poor anchor each trains slowly.

Example:
    python tools/analysis_tools/anchor_coverage.py configs/sdn_ssd_neu.py
    python tools/analysis_tools/anchor_coverage.py configs/sdn_ssd_neu.py \\
        --data-root my_data/ --classes scale hole --split val_dataloader
"""
import argparse
import sys
from collections import defaultdict
from typing import Tuple

import numpy as np
import torch
from mmengine.config import DictAction

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_data_args, add_loader_split_arg
from mmdet_shuffledefect.utils.config_loading import build_annotations, load_config
from mmdet_shuffledefect.utils.tool_errors import fail
from mmdet_shuffledefect.utils.input_size import resize_wh


def anchor_stats(boxes: np.ndarray, anchors: torch.Tensor, pos_thr: float) -> tuple:
    """Best-anchor IoU and number of anchors with IoU >= ``pos_thr`` per box.

    Args:
        boxes (np.ndarray): ``(N, 4)`` x1, y1, x2, y2 in input pixels.
        anchors (torch.Tensor): ``(M, 4)`` anchors of all levels.
        pos_thr (float): the assigner's positive IoU threshold.

    Returns:
        tuple: ``(best_iou, num_pos)``, two arrays of length N.

    Example:
        >>> a = torch.tensor([[0., 0., 10., 10.], [0., 0., 20., 20.]])
        >>> best, pos = anchor_stats(np.array([[0., 0., 10., 10.]]), a, 0.5)
        >>> float(best[0]), int(pos[0])
        (1.0, 1)
    """
    from mmdet.structures.bbox import bbox_overlaps
    if len(boxes) == 0:
        return np.zeros(0), np.zeros(0, int)
    iou = bbox_overlaps(torch.as_tensor(boxes, dtype=torch.float32), anchors)
    return iou.max(1).values.numpy(), (iou >= pos_thr).sum(1).numpy()


def _input_size(cfg) -> tuple:
    for step in cfg.train_pipeline if 'train_pipeline' in cfg else []:
        if step.get('type') == 'Resize':
            w, h = resize_wh(step)
            return w, h, bool(step.get('keep_ratio', False))
    size = int(cfg.get('input_size', 192))
    return size, size, False


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('config')
    add_loader_split_arg(parser, 'whose boxes to measure')
    add_data_args(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries as in mmdet\'s tools, e.g. '
                        "'model.bbox_head.anchor_generator.ratios=[[2,3]]*6'")
    return parser.parse_args(argv)


def config_anchors(cfg, config: str) -> Tuple[torch.Tensor, tuple, float]:
    """The config's anchors at its input size, ``(in_w, in_h, keep_ratio)`` and the
    assigner's positive IoU."""
    head = cfg.model.get('bbox_head') if 'model' in cfg else None
    if not head or 'anchor_generator' not in head:
        fail(f'{config} has no model.bbox_head.anchor_generator: nothing to measure')
    from mmdet.registry import TASK_UTILS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    generator = TASK_UTILS.build(head['anchor_generator'])
    in_w, in_h, keep_ratio = _input_size(cfg)
    strides = [s if isinstance(s, (tuple, list)) else (s, s) for s in generator.strides]
    sizes = [(int(np.ceil(in_h / sh)), int(np.ceil(in_w / sw))) for sw, sh in strides]
    anchors = torch.cat(generator.grid_priors(sizes, device='cpu'))
    pos_thr = float(cfg.model.get('train_cfg', {}).get('assigner', {}).get('pos_iou_thr', 0.5))
    return anchors, (in_w, in_h, keep_ratio), pos_thr


def class_stats(dataset, anchors, input_size: tuple, pos_thr: float) -> dict:
    """Per class: each box's aspect, best anchor IoU and positive anchors."""
    in_w, in_h, keep_ratio = input_size
    classes = dataset.metainfo['classes']
    per_class = defaultdict(lambda: dict(aspect=[], best=[], pos=[]))
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if not info['instances']:
            continue
        sx = in_w / info['width']
        sy = in_h / info['height']
        if keep_ratio:
            sx = sy = min(sx, sy)
        boxes = np.array([inst['bbox'] for inst in info['instances']], np.float32)
        boxes *= np.array([sx, sy, sx, sy], np.float32)
        best, pos = anchor_stats(boxes, anchors, pos_thr)
        for inst, box, b, p in zip(info['instances'], boxes, best, pos):
            w, h = box[2] - box[0], box[3] - box[1]
            stats = per_class[classes[inst['bbox_label']]]
            stats['aspect'].append(max(w, h) / max(min(w, h), 1e-6))
            stats['best'].append(b)
            stats['pos'].append(p)
    return per_class


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.data_root, args.classes)
    anchors, input_size, pos_thr = config_anchors(cfg, args.config)
    dataset = build_annotations(cfg, args.split)
    per_class = class_stats(dataset, anchors, input_size, pos_thr)

    print(f'config: {args.config}  split: {args.split}  input: {input_size[0]}x{input_size[1]}  '
          f'anchors: {len(anchors)}  positive IoU >= {pos_thr}')
    print(f'{"class":<18}{"boxes":>7}{"aspect":>8}{"best IoU":>10}{"matched":>9}{"pos/box":>9}')
    everything = dict(aspect=[], best=[], pos=[])
    for name in dataset.metainfo['classes']:
        if name not in per_class:
            continue
        stats = per_class[name]
        for key in everything:
            everything[key] += stats[key]
        _row(name, stats, pos_thr)
    if everything['best']:
        _row('all', everything, pos_thr)
    else:
        fail(f'the {args.split} dataset has no boxes', code=1)
    return 0


def _row(name: str, stats: dict, pos_thr: float) -> None:
    best = np.asarray(stats['best'])
    print(f'{name:<18}{len(best):>7}{np.median(stats["aspect"]):>8.1f}{np.median(best):>10.2f}'
          f'{(best >= pos_thr).mean():>9.0%}{np.mean(stats["pos"]):>9.1f}')


if __name__ == '__main__':
    sys.exit(main())
