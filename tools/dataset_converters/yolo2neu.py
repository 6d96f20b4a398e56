"""Convert YOLO txt labels to the NEU-DET layout (IMAGES/ + ANNOTATIONS/ VOC XML).

Example:
    python tools/dataset_converters/yolo2neu.py my/images my/labels data/MY \
        --classes scale hole scratch        # or --classes-file classes.txt
"""
import argparse
import sys

from mmdet_shuffledefect.data_prep.converters import yolo_to_neu, print_report
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('img_dir')
    parser.add_argument('label_dir')
    parser.add_argument('out_dir')
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--classes', nargs='+', help='class names in YOLO id order')
    group.add_argument('--classes-file', help='text file, one class name per line')
    args = parser.parse_args(argv)
    try:
        names = args.classes
        if args.classes_file:
            with open(args.classes_file) as f:
                names = [l.strip() for l in f if l.strip()]
        report = yolo_to_neu(args.img_dir, args.label_dir, names, args.out_dir)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print_report(report, args.out_dir)
    return 0 if report['converted'] else 1


if __name__ == '__main__':
    sys.exit(main())
