"""Write nested, stratified subsets of a split file (the training-set-size study).

``train.txt`` -> ``train_25pct.txt``, ``train_50pct.txt`` ...: each stratum (the
file-name class for NEU's naming, else each image's majority box class from
``--det-root``'s annotations) keeps its share, and a smaller subset lies inside
every larger one. Val and test are not touched.

Example:
    python tools/dataset_converters/make_subsets.py \\
        mmdet_shuffledefect/split_lists/neu-det/train.txt --fractions 0.25 0.5
    python tools/dataset_converters/make_subsets.py data/MY/splits/train.txt \\
        --fractions 0.5 --det-root data/MY
"""
import argparse
import os.path as osp
import sys
from collections import Counter

from mmdet_shuffledefect.data_prep.splits import (file_class, label_strata, nested_subsets,
                                                   uses_neu_naming)
from mmdet_shuffledefect.datasets.neu_det import read_split_file
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('split_file', help='the split to subsample (names, one a line)')
    parser.add_argument('--fractions', type=float, nargs='+', required=True,
                        help='shares in (0, 1), e.g. 0.25 0.5')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--det-root', help='dataset folder with ANNOTATIONS/, for label '
                        'strata when the names do not follow NEU\'s naming')
    args = parser.parse_args(argv)
    if not osp.isfile(args.split_file):
        print(f'error: split file not found: {args.split_file}', file=sys.stderr)
        return 2
    names = read_split_file(args.split_file)
    if not names:
        print(f'error: {args.split_file} lists no image names', file=sys.stderr)
        return 2
    if uses_neu_naming(names):
        strata, how = {n: file_class(n) for n in names}, 'file-name class'
    elif args.det_root:
        try:
            strata = label_strata(osp.join(args.det_root, 'ANNOTATIONS'), names)
        except ValueError as err:  # DataError: a missing or broken annotation, named
            print(f'error: {err}', file=sys.stderr)
            return 2
        how = 'majority class of each image\'s boxes'
    else:
        print('error: the names do not follow NEU\'s naming (class_index); give --det-root '
              'so the subsets can be stratified by the annotations', file=sys.stderr)
        return 2
    try:
        subsets = nested_subsets(names, args.fractions, args.seed, strata)
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    stem, ext = osp.splitext(args.split_file)
    classes = sorted(set(strata.values()))
    print(f'stratified by {how}; images per class:')
    print('| subset | ' + ' | '.join(classes) + ' | total |')
    print('|---' * (len(classes) + 2) + '|')
    full = Counter(strata[n] for n in names)
    print('| ' + osp.basename(args.split_file) + ' | '
          + ' | '.join(str(full[c]) for c in classes) + f' | {len(names)} |')
    for fraction, part in sorted(subsets.items()):
        out = f'{stem}_{round(fraction * 100)}pct{ext}'
        with open(out, 'w') as f:
            f.write(f'# make_subsets.py {osp.basename(args.split_file)} fraction={fraction} '
                    f'seed={args.seed}; nested, stratified by {how}\n')
            f.write(''.join(n + '\n' for n in part))
        counts = Counter(strata[n] for n in part)
        print(f'| {osp.basename(out)} | ' + ' | '.join(str(counts[c]) for c in classes)
              + f' | {len(part)} |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
