"""Lay out NEU-DET (and NEU-CLS) under data/ for the configs, without copying.

Creates ``data/NEU-DET/{IMAGES,ANNOTATIONS}`` as symlinks to the given
folders and copies the package's committed default split files into
``data/NEU-DET/splits`` (and ``data/NEU-CLS/splits``).

Example:
    python tools/dataset_converters/prepare_neu.py --det /path/NEU-DET --cls /path/NEU-CLS
"""
import argparse
import os
import os.path as osp
import shutil
import sys

from mmdet_shuffledefect.data_prep import DEFAULT_SPLIT_LISTS as SPLITS


def link(src, dst):
    if osp.islink(dst) or osp.exists(dst):
        if osp.realpath(dst) == osp.realpath(src):
            return
        raise FileExistsError(f'{dst} exists and is not a link to {src}; remove it first')
    os.symlink(osp.abspath(src), dst)


def main(argv=None):
    from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_old_spelling
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('--det', help='NEU-DET folder with IMAGES/ and ANNOTATIONS/')
    parser.add_argument('--cls', help='NEU-CLS folder (flat or class subfolders)')
    parser.add_argument('--out-dir', default='data', help='where data/NEU-DET etc. go')
    add_old_spelling(parser, '--out', '--out-dir')
    args = parser.parse_args(argv)
    if not args.det and not args.cls:
        parser.error('give --det and/or --cls')
    try:
        if args.det:
            for sub in ('IMAGES', 'ANNOTATIONS'):
                if not osp.isdir(osp.join(args.det, sub)):
                    raise FileNotFoundError(f'{args.det} has no {sub}/ folder')
            root = osp.join(args.out_dir, 'NEU-DET')
            os.makedirs(root, exist_ok=True)
            for sub in ('IMAGES', 'ANNOTATIONS'):
                link(osp.join(args.det, sub), osp.join(root, sub))
            shutil.copytree(osp.join(SPLITS, 'neu-det'), osp.join(root, 'splits'),
                            dirs_exist_ok=True)
            print(f'NEU-DET ready in {root}')
        if args.cls:
            if not osp.isdir(args.cls):
                raise FileNotFoundError(f'{args.cls} is not a folder')
            root = osp.join(args.out_dir, 'NEU-CLS')
            os.makedirs(root, exist_ok=True)
            link(args.cls, osp.join(root, 'images'))
            shutil.copytree(osp.join(SPLITS, 'neu-cls'), osp.join(root, 'splits'),
                            dirs_exist_ok=True)
            print(f'NEU-CLS ready in {root}')
    except (FileNotFoundError, FileExistsError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
