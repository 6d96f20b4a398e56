"""What the tools that score a ``tools/test.py --out`` dump again share: their three
arguments (config, dump, split) and reading the dump against the split's annotations, with
one ``error:`` line for a missing or foreign file and for a dump of the other split."""
import argparse
from typing import List, NamedTuple, Tuple

import numpy as np

from mmdet_shuffledefect.evaluation.prediction_dump import (load_prediction_dump,
                                                            prediction_arrays)

from .config_loading import build_annotations, load_config
from .tool_errors import fail


def add_dump_args(parser: argparse.ArgumentParser) -> None:
    """``config``, ``predictions`` and ``--split``."""
    parser.add_argument('config', help='the config the predictions were made with')
    parser.add_argument('predictions', help='a .pkl file of tools/test.py --out')
    parser.add_argument('--split', choices=['test', 'val'], default='test',
                        help='the split the predictions are of (tools/test.py --split)')


class SplitDump(NamedTuple):
    """A dump read against its split: the split's classes, every picture's data info
    (annotations only), and ``(picture, labels, scores, boxes)`` per dumped picture."""
    classes: List[str]
    infos: List[dict]
    arrays: List[Tuple[str, np.ndarray, np.ndarray, np.ndarray]]


def read_split_dump(args: argparse.Namespace) -> SplitDump:
    """Load ``args.config`` (with ``--data-root`` / ``--classes``), its ``args.split``
    annotations and the dump ``args.predictions``; exit 1 naming the file when the dump is
    missing, not a dump, or holds pictures that are not in the split."""
    cfg = load_config(args.config, None, args.data_root, args.classes)
    dataset = build_annotations(cfg, f'{args.split}_dataloader')
    try:
        arrays = prediction_arrays(load_prediction_dump(args.predictions))
    except (FileNotFoundError, ValueError) as err:
        fail(str(err), code=1)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    strays = sorted({a[0] for a in arrays} - {str(info['img_id']) for info in infos})
    if strays:
        fail(f'{args.predictions}: {len(strays)} predicted picture(s) are not in the '
             f'{args.split} split of {args.config} (e.g. {strays[0]}); were the predictions '
             f'made with --split {"val" if args.split == "test" else "test"}?', code=1)
    return SplitDump(list(dataset.metainfo['classes']), infos, arrays)
