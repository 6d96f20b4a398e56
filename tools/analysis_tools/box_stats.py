"""How each class is boxed in a config's data: boxes per picture, box size, area covered.

A class annotated as a few large boxes over a texture that spreads across the picture
(NEU-DET's crazing: 2-3 boxes, each about a fifth of the picture, covering half of it)
leaves the annotator's choice of where one box ends and the next begins; a detector that
finds the defect but splits it otherwise misses IoU 0.5. Read beside the AP at several IoU
thresholds (``tools/test.py CONFIG CKPT --split val --cfg-options
"test_evaluator.iou_thrs=[0.1,0.3,0.5,0.7]"``).

Columns, per class over the pictures that hold it: pictures, boxes, boxes per picture
(median / 90th percentile / max), box area as a share of the picture (median), the share
of the picture its boxes cover together (median), box width and height as shares of the
picture's (medians).

Example:
    python tools/analysis_tools/box_stats.py configs/sdn_ssd_neu.py
    python tools/analysis_tools/box_stats.py configs/sdn_ssd_neu.py --split val_dataloader \\
        --data-root my_data/ --classes scale hole
"""
import argparse
import sys
from collections import defaultdict
from typing import Dict, List, Sequence

import numpy as np

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_data_args, add_loader_split_arg
from mmdet_shuffledefect.utils.config_loading import build_annotations, load_config
from mmdet_shuffledefect.utils.tool_errors import fail

#: column title -> the cell of one class's stats
COLUMNS = {
    'pictures': lambda s: str(len(s['per_picture'])),
    'boxes': lambda s: str(int(np.sum(s['per_picture']))),
    'per picture med/p90/max': lambda s: '{:g} / {:g} / {:d}'.format(
        np.median(s['per_picture']), np.percentile(s['per_picture'], 90),
        int(np.max(s['per_picture']))),
    'box area': lambda s: f"{np.median(s['area']):.1%}",
    'covered': lambda s: f"{np.median(s['covered']):.1%}",
    'width': lambda s: f"{np.median(s['width']):.0%}",
    'height': lambda s: f"{np.median(s['height']):.0%}",
}


def picture_stats(boxes: np.ndarray, width: int, height: int) -> Dict[str, List[float]]:
    """Per-box area/width/height shares and the share the boxes cover together.

    Args:
        boxes (np.ndarray): ``(N, 4)`` x1, y1, x2, y2 of one class in one picture, N >= 1.
        width (int): picture width in px.
        height (int): picture height in px.

    Returns:
        dict: ``area``, ``width``, ``height`` (one value per box) and ``covered`` (one).

    Example:
        >>> s = picture_stats(np.array([[0, 0, 100, 50], [50, 0, 150, 50]]), 200, 100)
        >>> s['area'], s['covered']
        ([0.25, 0.25], [0.375])
    """
    if width <= 0 or height <= 0:
        raise ValueError(f'picture size {width}x{height}; expected positive sides')
    mask = np.zeros((height, width), bool)
    for x1, y1, x2, y2 in boxes:
        mask[max(int(y1), 0):int(np.ceil(y2)), max(int(x1), 0):int(np.ceil(x2))] = True
    w = (boxes[:, 2] - boxes[:, 0]) / width
    h = (boxes[:, 3] - boxes[:, 1]) / height
    return dict(area=[float(v) for v in w * h], width=[float(v) for v in w],
                height=[float(v) for v in h], covered=[float(mask.mean())])


def class_stats(infos: Sequence[dict], classes: Sequence[str]) -> Dict[str, dict]:
    """Per class: ``per_picture`` box counts and the lists of :func:`picture_stats`."""
    stats = defaultdict(lambda: dict(per_picture=[], area=[], covered=[], width=[], height=[]))
    for info in infos:
        by_label = defaultdict(list)
        for inst in info['instances']:
            by_label[inst['bbox_label']].append(inst['bbox'])
        for label, boxes in by_label.items():
            one = stats[classes[label]]
            one['per_picture'].append(len(boxes))
            for key, values in picture_stats(np.asarray(boxes, np.float64), info['width'],
                                             info['height']).items():
                one[key] += values
    return dict(stats)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('config')
    add_loader_split_arg(parser, 'whose boxes to describe')
    add_data_args(parser)
    args = parser.parse_args(argv)
    cfg = load_config(args.config, None, args.data_root, args.classes)
    dataset = build_annotations(cfg, args.split)
    classes = dataset.metainfo['classes']
    stats = class_stats([dataset.get_data_info(i) for i in range(len(dataset))], classes)
    if not stats:
        fail(f'the {args.split} dataset of {args.config} has no boxes', code=1)
    print(f'config: {args.config}  split: {args.split}  pictures: {len(dataset)}')
    print(f'{"class":<18}' + ''.join(f'{title:>{len(title) + 2}}' for title in COLUMNS))
    for name in classes:
        if name in stats:
            print(f'{name:<18}' + ''.join(f'{cell(stats[name]):>{len(title) + 2}}'
                                          for title, cell in COLUMNS.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
