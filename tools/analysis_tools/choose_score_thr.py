"""Choose a detector's alarm thresholds per class on the val split: the highest score
threshold that still flags the class on ``--min-recall`` of the pictures that hold it.

One val run with the config's evaluator (``NEUVOCMetric(picture_score_thr=GRID)``); prints
per class the chosen threshold, its picture recall and false alarms (pictures without the
class flagged for it) and the same at the one-for-all default 0.3, then the config line
``inspection_score_thr = {...}`` that ``tools/inspect_defects.py`` and
``tools/inspection_station.py`` read when ``--score-thr`` is not given, and the
``publish_model.py --score-thr`` command that stores them in the checkpoint
(``--write-checkpoint OUT.pth`` writes that copy at once). Choose on val;
``--read-test`` then reads the test split once with the chosen thresholds.
``--margin-steps N`` chooses N grid thresholds lower than that edge: with 30-36 val
pictures per class the edge often loses a picture or two on test; ``--max-false-alarm F``
then raises a class's threshold until it flags at most F of the val pictures without it.

Example:
    python tools/analysis_tools/choose_score_thr.py \\
        configs/rtmdet/rtmdet_sdn-1.0x_fusion_120e-ema_neu-det.py \\
        checkpoints/rtmdet_sdn-1.0x_fusion_120e-ema_neu-det_20261202_105041-787deb4d.pth \
        --min-recall 0.95 --read-test
"""
import argparse
import copy
import sys
from typing import List, Sequence, Tuple

import mmdet_shuffledefect  # noqa: F401  (registers modules, safe checkpoint loader)
from mmdet_shuffledefect.utils.score_thresholds import DEFAULT_SCORE_THR
from mmdet_shuffledefect.evaluation import choose_thresholds
from mmdet_shuffledefect.utils.cli import (DefaultsHelpFormatter, add_common_args, add_data_args,
                                           apply_trust, guard_checkpoint)
from mmdet_shuffledefect.utils.config_loading import load_config
from mmdet_shuffledefect.utils.runner_setup import build_runner
from mmdet_shuffledefect.utils.tool_errors import fail, run_guarded
from mmdet_shuffledefect.utils.config_data import test_on_val
from mmdet_shuffledefect.utils.env import print_report

DEFAULT_GRID = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)


def grid_arg(text: str) -> List[float]:
    """``--grid 0.1,0.2``: thresholds in [0, 1]."""
    try:
        values = sorted({float(v) for v in text.split(',')})
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected numbers such as 0.1,0.2,0.3, got {text!r}')
    if not values or not all(0 <= v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f'thresholds must be in [0, 1], got {text!r}')
    return values


def with_picture_grid(cfg, grid: Sequence[float], config: str):
    """Set ``picture_score_thr`` on the config's ``NEUVOCMetric`` test evaluator."""
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [
        cfg.test_evaluator]
    if not any(e.get('type') == 'NEUVOCMetric' for e in evaluators):
        fail(f'{config}: the evaluator is not NEUVOCMetric (got '
             f"{[e.get('type') for e in evaluators]}); this tool reads its picture-level "
             'recall')
    for e in evaluators:
        if e.get('type') == 'NEUVOCMetric':
            e['picture_score_thr'] = list(grid)
    return cfg


def check_writable(path: str) -> None:
    """Exit 2 naming ``--write-checkpoint`` where its folder cannot be made or written."""
    import os
    import os.path as osp
    folder = osp.dirname(osp.abspath(path))
    while not osp.exists(folder):
        folder = osp.dirname(folder)
    if not osp.isdir(folder) or not os.access(folder, os.W_OK):
        fail(f'--write-checkpoint {path}: {folder} is not a writable folder')


def picture_rates(cfg, args, grid: Sequence[float]) -> Tuple[dict, dict, List[str]]:
    """One test run of ``cfg``: threshold -> picture recall per class, the same for false
    alarms, and the classes."""
    cfg = with_picture_grid(copy.deepcopy(cfg), grid, args.config)
    cfg.work_dir = args.work_dir or 'work_dirs/choose_score_thr'
    cfg.load_from, cfg.resume = args.checkpoint, False
    runner = run_guarded(lambda: build_runner(cfg, args.verbose))
    metrics = run_guarded(runner.test)
    classes = list(runner.test_dataloader.dataset.metainfo['classes'])

    def read(kind, thr):
        return [metrics[f'pascal_voc/{kind}@{thr:g}_{c}'] for c in classes]

    return ({thr: read('recall', thr) for thr in grid},
            {thr: read('false_alarm', thr) for thr in grid}, classes)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(formatter_class=DefaultsHelpFormatter,
                                     description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--min-recall', type=float, default=0.95,
                        help='picture recall each class must keep on val')
    parser.add_argument('--margin-steps', type=int, default=0,
                        help='choose this many grid thresholds below the highest that keeps '
                        '--min-recall on val (a margin for a small val split)')
    parser.add_argument('--max-false-alarm', type=float, default=None,
                        help='then raise a class\'s threshold until it flags at most this '
                        'share of the val pictures without the class (e.g. 0.1)')
    parser.add_argument('--grid', type=grid_arg, default=list(DEFAULT_GRID),
                        help='thresholds to try, comma-separated')
    parser.add_argument('--read-test', action='store_true',
                        help='then read the test split once with the chosen thresholds (the '
                        'honest check of a choice made on a small val split)')
    parser.add_argument('--out', help='also write the table to this .md file')
    parser.add_argument('--write-checkpoint', metavar='OUT.pth',
                        help='write a copy of the checkpoint that carries the chosen thresholds '
                        '(and its classes) as OUT-<hash>.pth: the inspection tools and the '
                        'station then apply them with no flag')
    add_common_args(parser)
    add_data_args(parser)
    return parser.parse_args(argv)


def check_args(args) -> None:
    """Exit with one message when a number is out of range."""
    if not 0 < args.min_recall <= 1:
        fail(f'--min-recall must be in (0, 1], got {args.min_recall}')
    if args.margin_steps < 0:
        fail(f'--margin-steps must be >= 0, got {args.margin_steps}')
    if args.max_false_alarm is not None and not 0 <= args.max_false_alarm <= 1:
        fail(f'--max-false-alarm must be in [0, 1], got {args.max_false_alarm}')


def val_rows(args, grid, recall, alarms, chosen, classes, command) -> Tuple[list, dict]:
    """The report on val (its table, the config line, the publish command) and the chosen
    threshold of each class."""
    d = DEFAULT_SCORE_THR
    rows = [f'Picture-level alarm thresholds of `{args.checkpoint}` on the val split: per '
            f'class the highest of {grid} whose picture recall is >= {args.min_recall:g}'
            + (f', then {args.margin_steps} grid step(s) lower' if args.margin_steps else '')
            + (f', then raised until its false alarms are <= {args.max_false_alarm:g}'
               if args.max_false_alarm is not None else '')
            + f'; generated by `{command}`.', '',
            f'| class | chosen threshold | recall | false alarms | at {d:g}: recall | '
            f'at {d:g}: false alarms |', '|---|---|---|---|---|---|']
    line = {}
    for i, name in enumerate(classes):
        thr = chosen[i]
        if thr is None:  # no threshold keeps the recall: the lowest one, said so
            thr = grid[0]
            note = f' (none keeps {args.min_recall:g})'
        else:
            note = ''
        line[name] = thr
        rows.append(f'| {name} | {thr:g}{note} | {recall[thr][i]:.1%} | {alarms[thr][i]:.1%} '
                    f'| {recall[d][i]:.1%} | {alarms[d][i]:.1%} |')
    rows += ['', 'Config line (read by tools/inspect_defects.py and tools/inspection_station.py '
             'when --score-thr is not given, over the checkpoint\'s own):', '',
             'inspection_score_thr = {' + ', '.join(f"'{k}': {v:g}" for k, v in line.items())
             + '}', '', 'Or carried in the checkpoint itself (they were chosen on its scores; '
             'the inspection tools and the ONNX export then take them from it):', '',
             f'python tools/model_converters/publish_model.py {args.checkpoint} OUT.pth '
             f'--config {args.config} --score-thr '
             + "'" + ','.join(f'{k}={v:g}' for k, v in line.items()) + "'"]
    return rows, line


def test_split_rows(cfg, args, line: dict, classes) -> list:
    """The chosen thresholds on the test split, read once (``--read-test``)."""
    d = DEFAULT_SCORE_THR
    test_grid = sorted(set(line.values()) | {d})
    t_recall, t_alarms, _ = picture_rates(cfg, args, test_grid)
    rows = ['', 'The same thresholds on the **test** split (read once; --read-test):', '',
            f'| class | threshold | recall | false alarms | at {d:g}: recall | '
            f'at {d:g}: false alarms |', '|---|---|---|---|---|---|']
    for i, name in enumerate(classes):
        thr = line[name]
        rows.append(f'| {name} | {thr:g} | {t_recall[thr][i]:.1%} | '
                    f'{t_alarms[thr][i]:.1%} | {t_recall[d][i]:.1%} | '
                    f'{t_alarms[d][i]:.1%} |')
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    check_args(args)
    if args.write_checkpoint:  # before the val run: a target that cannot be written costs nothing
        check_writable(args.write_checkpoint)
    apply_trust(args.trust_checkpoint)
    grid = sorted(set(args.grid) | {DEFAULT_SCORE_THR})
    cfg = load_config(args.config, args.cfg_options, args.data_root, args.classes)
    val_cfg = test_on_val(cfg)
    guard_checkpoint(args, val_cfg, args.checkpoint, classes_win=False)
    recall, alarms, classes = picture_rates(val_cfg, args, grid)
    chosen = choose_thresholds(recall, args.min_recall, args.margin_steps, alarms,
                               args.max_false_alarm)
    command = ' '.join(['python', 'tools/analysis_tools/choose_score_thr.py'] +
                       list(sys.argv[1:] if argv is None else argv))
    rows, line = val_rows(args, grid, recall, alarms, chosen, classes, command)
    if args.read_test:
        rows += test_split_rows(cfg, args, line, classes)
    print_report(rows, args.out)
    if args.write_checkpoint:
        from mmdet_shuffledefect.utils.publish import publish
        try:
            final, _ = publish(args.checkpoint, args.write_checkpoint, line)
        except (ValueError, OSError) as err:
            fail(f'--write-checkpoint {args.write_checkpoint}: {err}', code=1)
        print(f'wrote {final}: it carries these thresholds and the classes {classes}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
