"""Write deterministic, stratified train/val/test split files for a NEU-DET folder.

Stratified by the labels (each image's majority class from its annotation;
images without boxes form their own stratum), or by the file-name class for
NEU's own naming (``crazing_17``); byte-identical images always share a split.
Prints the images per class and split, and warns when a class has no val or no
test image. Optionally writes the NEU-CLS split mapped by (class, index)
(crazing_17 <-> Cr_17).

Example:
    python tools/dataset_converters/make_splits.py data/NEU-DET --seed 0 \
        --cls-out data/NEU-CLS/splits
"""
import argparse
import os
import os.path as osp
import sys

from mmdet_shuffledefect.data_prep.splits import (dataset_strata, make_splits_for_dir,
                                                   split_table, uses_neu_naming)


def main(argv=None):
    from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_old_spelling
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('det_root', help='folder with IMAGES/ and ANNOTATIONS/')
    parser.add_argument('--out-dir', help='split folder (default DET_ROOT/splits)')
    add_old_spelling(parser, '--out', '--out-dir')
    parser.add_argument('--cls-out', help='also write the mapped NEU-CLS split here')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--ratios', type=float, nargs=3, default=(0.7, 0.1, 0.2),
                        metavar=('TRAIN', 'VAL', 'TEST'))
    args = parser.parse_args(argv)
    out = args.out_dir or osp.join(args.det_root, 'splits')
    stems = sorted(osp.splitext(f)[0] for f in os.listdir(osp.join(args.det_root, 'ANNOTATIONS'))
                   if f.endswith('.xml')) if osp.isdir(osp.join(args.det_root, 'ANNOTATIONS')) \
        else []
    how = ('file-name class (NEU naming)' if uses_neu_naming(stems) else
           'majority class of each image\'s boxes')
    header = (f'make_splits.py seed={args.seed} ratios={tuple(args.ratios)}; '
              f'stratified by {how}, byte-identical images kept together')
    if uses_neu_naming(stems):  # the committed NEU splits were written with this header
        header = (f'make_splits.py seed={args.seed} ratios={tuple(args.ratios)}; '
                  'stratified by file-name class, byte-identical images kept together')
    try:
        parts = make_splits_for_dir(args.det_root, out, args.seed, args.ratios,
                                    args.cls_out, header)
        strata = dataset_strata(args.det_root, stems)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    table, warnings = split_table(parts, strata, args.ratios)
    print(f'stratified by {how}; images per class and split:\n{table}')
    for warning in warnings:
        print(f'warning: {warning}', file=sys.stderr)
    print(' '.join(f'{k}={len(v)}' for k, v in parts.items()), f'-> {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
