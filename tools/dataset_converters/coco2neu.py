"""Convert a COCO detection json to the NEU-DET layout (IMAGES/ + ANNOTATIONS/ VOC XML).

Example:
    python tools/dataset_converters/coco2neu.py instances.json my/images data/MY
"""
import argparse
import sys

from mmdet_shuffledefect.data_prep.converters import coco_to_neu, print_report
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('json_path')
    parser.add_argument('img_dir')
    parser.add_argument('out_dir')
    args = parser.parse_args(argv)
    try:
        report = coco_to_neu(args.json_path, args.img_dir, args.out_dir)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    print_report(report, args.out_dir)
    return 0 if report['converted'] else 1


if __name__ == '__main__':
    sys.exit(main())
