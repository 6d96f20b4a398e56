"""Sweep a detector's inference settings (``model.test_cfg``) on the val split: one table.

The model is built and loaded once; for every combination of the ``--values`` the head's
``test_cfg`` is changed in place and the split evaluated again with the config's evaluator
(the same evaluation as ``tools/test.py``). The table gives mAP@0.5 and the AP per class of
each setting, the config's own setting marked, and the best. Choose on **val**, then read the
test split once with the chosen value (``tools/test.py ... --cfg-options
model.test_cfg.nms.iou_threshold=0.5``, or the value written into the config).

Example:
    python tools/analysis_tools/sweep_test_cfg.py \\
        configs/rtmdet/rtmdet_sdn-1.0x_fusion_120e-ema_neu-det.py \\
        checkpoints/rtmdet_sdn-1.0x_fusion_120e-ema_neu-det_20261202_105041-787deb4d.pth \\
        --values nms.iou_threshold=0.3,0.4,0.45,0.5,0.6,0.7 --out nms_sweep.md
"""
import argparse
import itertools
import os.path as osp
import sys
from typing import Any, Dict, List, Sequence, Tuple

import mmdet_shuffledefect  # noqa: F401  (registers modules, safe checkpoint loader)
from mmdet_shuffledefect.utils.cli import (DefaultsHelpFormatter, add_common_args, add_data_args,
                                           add_partial_load_arg, apply_trust, guard_checkpoint)
from mmdet_shuffledefect.utils.config_loading import load_config
from mmdet_shuffledefect.utils.runner_setup import build_runner
from mmdet_shuffledefect.utils.tool_errors import fail, run_guarded
from mmdet_shuffledefect.evaluation.neu_voc_metric import MAP_KEY, PER_CLASS_PREFIX as CLASS_AP
from mmdet_shuffledefect.utils.config_data import test_on_val
from mmdet_shuffledefect.utils.env import print_report


#: keys whose values are names (``nms.type=nms,soft_nms``); every other value is a number
NAMED_KEYS = ('type', 'method')


def parse_values(items: Sequence[str]) -> List[Tuple[str, List[Any]]]:
    """``['nms.iou_threshold=0.4,0.5']`` -> ``[('nms.iou_threshold', [0.4, 0.5])]``.

    Values are numbers, except under a key named in :data:`NAMED_KEYS`, whose values are
    names (``nms.type=nms,soft_nms``: mmcv's soft-NMS, run by mmdet's per-image
    post-processing, as the fast heads say in the log).

    Raises:
        ValueError: An item without ``KEY=V1,V2``, a value that is not a number, or a name
            that is not an identifier.

    Example:
        >>> parse_values(['nms.iou_threshold=0.4,0.5', 'max_per_img=100'])
        [('nms.iou_threshold', [0.4, 0.5]), ('max_per_img', [100])]
        >>> parse_values(['nms.type=nms,soft_nms'])
        [('nms.type', ['nms', 'soft_nms'])]
    """
    parsed = []
    for item in items:
        key, sep, text = item.partition('=')
        if not sep or not key or not text:
            raise ValueError(f'--values {item!r}: expected KEY=V1,V2,... with KEY under '
                             'model.test_cfg, e.g. nms.iou_threshold=0.4,0.5')
        named = key.rsplit('.', 1)[-1] in NAMED_KEYS
        values = []
        for word in text.split(','):
            word = word.strip()
            if named:
                if not word.isidentifier():
                    raise ValueError(f'--values {item!r}: {word!r} is not a name')
                values.append(word)
                continue
            try:
                values.append(int(word) if word.lstrip('-').isdigit() else float(word))
            except ValueError:
                raise ValueError(f'--values {item!r}: {word!r} is not a number (only keys '
                                 f'named {" or ".join(NAMED_KEYS)} take names)') from None
        parsed.append((key, values))
    return parsed


def get_key(cfg: Dict, key: str) -> Any:
    """``cfg['nms']['iou_threshold']`` for ``'nms.iou_threshold'``; KeyError names the key."""
    node = cfg
    for part in key.split('.'):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f'model.test_cfg has no {key!r} (it has {sorted(cfg)})')
        node = node[part]
    return node


def set_key(cfg: Dict, key: str, value: Any) -> None:
    """Set an existing dotted key of ``cfg`` in place."""
    get_key(cfg, key)  # exists
    *parents, last = key.split('.')
    node = cfg
    for part in parents:
        node = node[part]
    node[last] = value


def dense_head(model):
    """The head whose ``test_cfg`` the detector's predict reads."""
    model = getattr(model, 'module', model)
    head = getattr(model, 'bbox_head', None)
    if head is None or getattr(head, 'test_cfg', None) is None:
        raise ValueError(f'{type(model).__name__} has no bbox_head with a test_cfg: this tool '
                         'sweeps single-stage detectors')
    return head


def sweep_rows(keys: Sequence[str], settings: Sequence[tuple], results: Sequence[Dict],
               classes: Sequence[str], own: tuple) -> List[str]:
    """The markdown table: one row per setting; the best mAP bold, the config's own setting
    and the best named in the last column.

    Example:
        >>> rows = sweep_rows(['nms.iou_threshold'], [(0.5,), (0.6,)],
        ...                   [{MAP_KEY: 0.70, CLASS_AP + 'a': 0.4},
        ...                    {MAP_KEY: 0.68, CLASS_AP + 'a': 0.3}], ['a'], (0.6,))
        >>> rows[2], rows[3]
        ('| 0.5 | **0.7000** | 0.4000 | best |', '| 0.6 | 0.6800 | 0.3000 | config |')
    """
    best = max(range(len(results)), key=lambda i: results[i][MAP_KEY])
    rows = ['| ' + ' | '.join(list(keys) + ['mAP@0.5'] + list(classes) + ['']) + ' |',
            '|' + '---|' * (len(keys) + len(classes) + 2)]
    for i, (setting, metrics) in enumerate(zip(settings, results)):
        value = f'{metrics[MAP_KEY]:.4f}'
        note = ', '.join(n for n, on in (('config', setting == own), ('best', i == best)) if on)
        cells = ([str(v) for v in setting] + [f'**{value}**' if i == best else value]
                 + [f'{metrics.get(CLASS_AP + c, float("nan")):.4f}' for c in classes] + [note])
        rows.append('| ' + ' | '.join(cells) + ' |')
    return rows


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('config', help='detector config')
    parser.add_argument('checkpoint', help='its trained checkpoint (.pth)')
    parser.add_argument('--values', nargs='+', required=True, metavar='KEY=V1,V2',
                        help='keys under model.test_cfg and their values, numbers except '
                        'for nms.type (e.g. nms.type=nms,soft_nms); several keys: every '
                        'combination')
    parser.add_argument('--split', choices=('val', 'test'), default='val',
                        help='the split evaluated (choose settings on val)')
    parser.add_argument('--out', help='write the table (markdown) here')
    add_common_args(parser)
    add_partial_load_arg(parser)
    add_data_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        fail(f'checkpoint {args.checkpoint} does not exist')
    apply_trust(args.trust_checkpoint)
    try:
        values = parse_values(args.values)
    except ValueError as err:
        fail(str(err))
    cfg = load_config(args.config, args.cfg_options, args.data_root, args.classes)
    if args.split == 'val':
        try:
            cfg = test_on_val(cfg, args.cfg_options)
        except ValueError as err:
            fail(f'--split val: {err}')
    guard_checkpoint(args, cfg, args.checkpoint, classes_win=False)
    cfg.work_dir = args.work_dir or 'work_dirs/sweep_test_cfg'
    cfg.load_from, cfg.resume = args.checkpoint, False
    runner = run_guarded(lambda: build_runner(cfg, args.verbose))
    try:
        head = dense_head(runner.model)
        keys = [key for key, _ in values]
        own = tuple(get_key(head.test_cfg, key) for key in keys)
    except (KeyError, ValueError) as err:
        fail(str(err.args[0] if isinstance(err, KeyError) else err))
    settings = list(itertools.product(*[v for _, v in values]))
    results = []
    for number, setting in enumerate(settings, 1):
        for key, value in zip(keys, setting):
            set_key(head.test_cfg, key, value)
        said = ', '.join(f'{k}={v}' for k, v in zip(keys, setting))
        print(f'[{number}/{len(settings)}] {args.split} split, test_cfg {said}', flush=True)
        metrics = run_guarded(runner.test)
        if MAP_KEY not in metrics:
            fail(f'the evaluator gave no {MAP_KEY} (got {sorted(metrics)}): this tool reads '
                 'the VOC metric of the NEU-DET configs', code=1)
        results.append(metrics)
    classes = list(runner.test_dataloader.dataset.metainfo['classes'])
    rows = sweep_rows(keys, settings, results, classes, own)
    command = ' '.join(['python', 'tools/analysis_tools/sweep_test_cfg.py'] +
                       list(sys.argv[1:] if argv is None else argv))
    print_report([f'{args.split} split mAP@0.5 (VOC area mode) of `{args.checkpoint}` per '
                  f'test_cfg setting; generated by `{command}`.', ''] + rows, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
