"""Write the synthetic steel-defect sample (NEU-DET layout, with split files).

The same sample the demo and the tests train on, for rerunning their numbers.
``--cls-per-class`` also writes a NEU-CLS-layout classification sample.

Example:
    python tools/misc/make_synthetic.py /tmp/synth --images 1000 --seed 0
    python tools/train.py configs/sdn_ssd_neu.py --data-root /tmp/synth/
"""
import argparse
import os
import os.path as osp
import sys

from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
from mmdet_shuffledefect.utils.tool_errors import fail
from mmdet_shuffledefect.data_prep.splits import make_splits_for_dir
from mmdet_shuffledefect.data_prep.synthetic import write_neu_cls, write_neu_det


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('out', help='folder to write IMAGES/, ANNOTATIONS/ and splits/ into')
    parser.add_argument('--images', type=int, default=300, help='detection images')
    parser.add_argument('--seed', type=int, default=0, help='drawing and split seed')
    parser.add_argument('--cls-per-class', type=int, default=0,
                        help='also write OUT/NEU-CLS with this many images per class')
    args = parser.parse_args(argv)
    if args.images < 12:
        fail(f'--images must be at least 12 (two per class for the split), got {args.images}')
    if osp.isdir(osp.join(args.out, 'IMAGES')) and os.listdir(osp.join(args.out, 'IMAGES')):
        fail(f'{args.out}/IMAGES already has files; choose an empty folder')
    stats = write_neu_det(args.out, num_images=args.images, seed=args.seed)
    parts = make_splits_for_dir(args.out, osp.join(args.out, 'splits'), seed=args.seed)
    print(f'{stats["images"]} images, {stats["boxes"]} boxes, {stats["negatives"]} without '
          'defects -> ' + args.out)
    print('splits: ' + ' '.join(f'{k}={len(v)}' for k, v in parts.items()))
    if args.cls_per_class:
        cls_dir = osp.join(args.out, 'NEU-CLS')
        counts = write_neu_cls(cls_dir, per_class=args.cls_per_class, seed=args.seed)
        print(f'classification sample: {sum(counts.values())} images -> {cls_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
