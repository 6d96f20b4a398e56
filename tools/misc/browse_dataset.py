"""Draw the ground-truth boxes of a NEU-DET-layout folder onto its images (mmdet's visualizer).

Example:
    python tools/misc/browse_dataset.py data/NEU-DET --split splits/val.txt --out-dir vis_gt
"""
import argparse
import os
import os.path as osp
import sys

import cv2
import torch
from mmdet.structures import DetDataSample
from mmdet.visualization import DetLocalVisualizer
from mmengine.structures import InstanceData

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.datasets import NEU_PALETTE, NEUDETDataset
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='folder with IMAGES/ and ANNOTATIONS/')
    parser.add_argument('--split', default='', help='split file relative to data_root')
    parser.add_argument('--out-dir', default='vis_gt')
    parser.add_argument('--classes', nargs='+', help='your own class names')
    parser.add_argument('--limit', type=int, default=0, help='draw at most this many')
    args = parser.parse_args(argv)
    kwargs = dict(metainfo=dict(classes=tuple(args.classes))) if args.classes else {}
    try:
        ds = NEUDETDataset(data_root=args.data_root, ann_file=args.split, pipeline=[],
                           test_mode=True, **kwargs)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    classes = ds.metainfo['classes']
    palette = NEU_PALETTE if len(classes) <= len(NEU_PALETTE) else 'random'
    vis = DetLocalVisualizer.get_instance('browse_dataset')
    vis.dataset_meta = {'classes': classes, 'palette': palette}
    os.makedirs(args.out_dir, exist_ok=True)
    count = len(ds) if not args.limit else min(args.limit, len(ds))
    for i in range(count):
        info = ds.get_data_info(i)
        img = cv2.imread(info['img_path'], cv2.IMREAD_COLOR)
        if img is None:
            print(f'warning: cannot read {info["img_path"]}; skipped', file=sys.stderr)
            continue
        insts = info['instances']
        sample = DetDataSample()
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([x['bbox'] for x in insts], dtype=torch.float32).reshape(-1, 4),
            labels=torch.tensor([x['bbox_label'] for x in insts], dtype=torch.long))
        vis.add_datasample(osp.basename(info['img_path']), img[..., ::-1].copy(), sample,
                           draw_pred=False, show=False)
        difficult = [x['bbox'] for x in insts if x['ignore_flag']]
        if difficult:  # VOC 'difficult' boxes (ignored in evaluation): dashed, labelled
            vis.draw_bboxes(torch.tensor(difficult, dtype=torch.float32), edge_colors='white',
                            line_styles='--', line_widths=1)
            vis.draw_texts(['difficult'] * len(difficult),
                           torch.tensor([[b[0] + 2, b[3] - 10] for b in difficult]),
                           colors='white', font_sizes=7)
        cv2.imwrite(osp.join(args.out_dir, osp.basename(info['img_path'])),
                    vis.get_image()[..., ::-1])
    print(f'drew {count} images into {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
