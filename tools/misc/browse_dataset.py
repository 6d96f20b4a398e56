"""Draw the ground-truth boxes of a NEU-DET-layout folder onto its images.

Example:
    python tools/misc/browse_dataset.py data/NEU-DET --split splits/val.txt --out-dir vis_gt
"""
import argparse
import os
import os.path as osp
import sys

import cv2

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.datasets import NEU_PALETTE, NEUDETDataset


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    os.makedirs(args.out_dir, exist_ok=True)
    count = len(ds) if not args.limit else min(args.limit, len(ds))
    for i in range(count):
        info = ds.get_data_info(i)
        img = cv2.imread(info['img_path'], cv2.IMREAD_COLOR)
        if img is None:
            print(f'warning: cannot read {info["img_path"]}; skipped', file=sys.stderr)
            continue
        for inst in info['instances']:
            x1, y1, x2, y2 = (int(v) for v in inst['bbox'])
            color = tuple(int(c) for c in NEU_PALETTE[inst['bbox_label'] % len(NEU_PALETTE)][::-1])
            cv2.rectangle(img, (x1, y1), (x2, y2), color, 1 + int(not inst['ignore_flag']))
            tag = classes[inst['bbox_label']] + (' (difficult)' if inst['ignore_flag'] else '')
            cv2.putText(img, tag, (x1 + 2, max(10, y1 + 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                        color, 1, cv2.LINE_AA)
        cv2.imwrite(osp.join(args.out_dir, osp.basename(info['img_path'])), img)
    print(f'drew {count} images into {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
