"""Write deterministic, stratified train/val/test split files for a NEU-DET folder.

Stratified by the file-name class; byte-identical images always share a split;
optionally writes the NEU-CLS split mapped by (class, index) (crazing_17 <-> Cr_17).

Example:
    python tools/dataset_converters/make_splits.py data/NEU-DET --seed 0 \
        --cls-out data/NEU-CLS/splits
"""
import argparse
import os.path as osp
import sys

from mmdet_shuffledefect.datasets.splits import make_splits_for_dir


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('det_root', help='folder with IMAGES/ and ANNOTATIONS/')
    parser.add_argument('--out', help='split folder (default DET_ROOT/splits)')
    parser.add_argument('--cls-out', help='also write the mapped NEU-CLS split here')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--ratios', type=float, nargs=3, default=(0.7, 0.1, 0.2),
                        metavar=('TRAIN', 'VAL', 'TEST'))
    args = parser.parse_args(argv)
    out = args.out or osp.join(args.det_root, 'splits')
    header = (f'make_splits.py seed={args.seed} ratios={tuple(args.ratios)}; '
              'stratified by file-name class, byte-identical images kept together')
    try:
        parts = make_splits_for_dir(args.det_root, out, args.seed, args.ratios,
                                    args.cls_out, header)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print(' '.join(f'{k}={len(v)}' for k, v in parts.items()), f'-> {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
