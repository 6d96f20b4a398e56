"""Grouped, stratified k-fold cross-validation of a classifier config (NEU-CLS).

All images of the config's dataset are split into ``--folds`` seeded folds,
stratified by class and grouped (byte-identical files, e.g. NEU-CLS's
``Pa_101.bmp``/``Pa_105.bmp``, stay in one fold). Fold i trains on the other
folds with the real Runner (``tools/train.py``), picks its checkpoint on a
stratified ``--val-ratio`` held out from them and tests that one checkpoint once
on fold i (``tools/test.py``). ``--checkpoint last`` (or ``--val-ratio 0``) tests
the last epoch instead: for a fixed schedule whose val reaches a tie mid-way, the
best-on-val rule keeps the first epoch of the tie. A fold tested before with the
other rule is tested again (not retrained).

``--classical NAME`` fits a classical texture classifier instead of the
config's network (CLBP, AECLBP or BYEC: features + SVMs from
:mod:`sdn_study.classical`) on the same folds of the same images; its
hyper-parameters are chosen by an inner cross-validation on the training folds
only (the val part is not needed), and the fitted model of each fold is saved
(``foldK/model.pkl``, what ``tools/analysis_tools/benchmark.py`` times).

Each fold is resumable: a finished fold is skipped, an interrupted one resumes
from its last checkpoint. The summary (``summary.md``, ``summary.json``) gives
top-1 per fold, mean ± std, the errors out of all images and every misclassified
file; ``misclassified.png`` shows those images with their true and predicted
class, ``confusion_matrix.png`` the confusion matrix summed over the folds.

Example:
    python projects/shuffledefectnet_study/tools/cross_validate.py configs/classification/sdn-1.0x_linear_30e_neu-cls.py \\
        --folds 5 --work-dir work_dirs/cv/sdn-1.0x
    python projects/shuffledefectnet_study/tools/cross_validate.py configs/classification/sdn-1.0x_linear_60e_200px_neu-cls.py \
        --folds 5 --checkpoint last --work-dir work_dirs/cv_conv/sdn-1.0x
    python projects/shuffledefectnet_study/tools/cross_validate.py CONFIG --folds 5 --summarize-only --work-dir work_dirs/cv/x
    # folds spread over processes or machines sharing the work dir
    python projects/shuffledefectnet_study/tools/cross_validate.py CONFIG --folds 5 --only-folds 3 4
    # a classical row of the paper's Table 2 on the folds of the network rows
    python projects/shuffledefectnet_study/tools/cross_validate.py configs/classification/sdn-1.0x_linear_30e_neu-cls.py \\
        --folds 5 --classical aeclbp --work-dir work_dirs/cv/aeclbp
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import pickle
import sys

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.abspath(osp.join(HERE, '..', '..', '..'))  # the repository root

import cv2
import numpy as np
from mmengine.config import DictAction

from mmdet_shuffledefect.data_prep.folds import fold_parts, grouped_stratified_folds
from mmdet_shuffledefect.data_prep.splits import write_split_files
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_data_args
from mmdet_shuffledefect.utils.config_loading import load_config
from mmdet_shuffledefect.utils.tool_errors import fail
from mmdet_shuffledefect.utils.work_dir import best_checkpoint, latest_epoch_checkpoint
from sdn_study.run_record import read_record, run_recorded


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('config', help='classifier config (mmpretrain scope)')
    parser.add_argument('--folds', type=int, default=5, help='number of folds (>= 2)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the folds and the runs')
    parser.add_argument('--epochs', type=int, metavar='N',
                        help='train each fold for N epochs, the schedule scaled as by '
                        '`tools/train.py --epochs` (default: the config\'s max_epochs)')
    parser.add_argument('--val-ratio', type=float, default=0.1,
                        help='share of the training folds held out to choose the '
                        'checkpoint; 0 trains on all of them and tests the last epoch')
    parser.add_argument('--checkpoint', choices=sorted(CHECKPOINT_RULES), default='best',
                        help='which checkpoint of each fold is tested: the best on the val '
                        'part (the first epoch of a tie) or the last epoch')
    parser.add_argument('--work-dir', help='default: work_dirs/cv/<config name>')
    parser.add_argument('--only-folds', type=int, nargs='+', metavar='K',
                        help='run only these folds (0-based), e.g. to spread the folds over '
                        'processes or machines that share the work dir; the summary covers '
                        'every fold tested so far')
    parser.add_argument('--classical', metavar='NAME',
                        help='fit this classical classifier on the folds instead of training '
                        'the config\'s network (the config gives the images); one of: '
                        'clbp, aeclbp, byec')
    parser.add_argument('--inner-folds', type=int, default=5,
                        help='--classical: folds of the inner search of hyper-parameters '
                        'inside the training folds (default: 5)')
    parser.add_argument('--threads', type=int, default=2,
                        help='threads for the classical feature extraction (default: 2)')
    parser.add_argument('--summarize-only', action='store_true',
                        help='only write the summary of the folds already tested')
    add_data_args(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries for every fold, as in mmdet\'s tools')
    return parser.parse_args(argv)


def all_images(cfg) -> tuple:
    """``([(stem, path, class name)], classes)``: every image under the training
    dataset's folder, and the class names in label order."""
    from mmpretrain.registry import DATASETS
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    ds_cfg = dict(cfg.train_dataloader.dataset)
    ds_cfg.update(ann_file='', pipeline=[])
    try:
        dataset = DATASETS.build(ds_cfg)
    except Exception as err:  # a missing folder or an unlabelled image
        fail(f'cannot read the images of {cfg.filename}: {type(err).__name__}: {err}', code=1)
    classes = dataset.metainfo['classes']
    return [(osp.splitext(osp.basename(d['img_path']))[0], d['img_path'],
             classes[int(d['gt_label'])])
            for d in map(dataset.get_data_info, range(len(dataset)))], list(classes)


def md5(path: str) -> str:
    with open(path, 'rb') as f:
        return hashlib.md5(f.read()).hexdigest()


def fold_options(split_dir: str, val: bool, seed: int) -> list:
    """``--cfg-options`` pointing the datasets at one fold's split files."""
    opts = [f'train_dataloader.dataset.ann_file={osp.join(split_dir, "train.txt")}',
            f'test_dataloader.dataset.ann_file={osp.join(split_dir, "test.txt")}',
            f'randomness.seed={seed}']
    if val:
        opts.append(f'val_dataloader.dataset.ann_file={osp.join(split_dir, "val.txt")}')
    else:
        opts += ['val_dataloader=None', 'val_cfg=None', 'val_evaluator=None',
                 'default_hooks.checkpoint.save_best=None']
    return opts


#: How a fold's tested checkpoint is chosen (``--checkpoint``); None before training.
CHECKPOINT_RULES = {
    'best': lambda fold_dir: best_checkpoint(fold_dir) or latest_epoch_checkpoint(fold_dir),
    'last': latest_epoch_checkpoint,
}


def checkpoint_rule(args, has_val: bool) -> str:
    """The rule a fold is tested under: ``--checkpoint``, or ``last`` without a val part."""
    return args.checkpoint if has_val else 'last'


def result_rule(result: dict) -> str:
    """The rule a fold's result was tested under (results without one: ``best``)."""
    return result.get('checkpoint_rule', 'best')


def fold_done(work_dir: str, index: int, rule: str = 'best') -> tuple:
    """``(fold dir, result file, the result if the fold was tested before, else None)``.

    A result tested under another ``--checkpoint`` rule (results without one were tested
    with ``best``) does not count: the fold is tested again.
    """
    fold_dir = osp.join(work_dir, f'fold{index}')
    result_file = osp.join(fold_dir, 'result.json')
    if not osp.isfile(result_file):
        return fold_dir, result_file, None
    with open(result_file) as f:
        result = json.load(f)
    before = result_rule(result)
    if before != rule:
        print(f'[cv] fold {index}: tested before with the {before} checkpoint '
              f'({result.get("checkpoint")}); testing the {rule} one', flush=True)
        return fold_dir, result_file, None
    print(f'[cv] fold {index}: done before, skipped', flush=True)
    return fold_dir, result_file, result


def save_result(result_file: str, result: dict, note: str = '') -> dict:
    """Add top-1 to a fold's result, write it and say it."""
    result['top1'] = 100.0 * result['correct'] / max(result['images'], 1)
    with open(result_file, 'w') as f:
        json.dump(result, f, indent=1)
    print(f'[cv] fold {result["fold"]}: top-1 {result["top1"]:.2f} % '
          f'({result["images"] - result["correct"]} errors{note})', flush=True)
    return result


def run_fold(args, work_dir: str, index: int, parts: dict) -> dict:
    """Train (or resume) and test fold ``index``; return its result."""
    rule = checkpoint_rule(args, bool(parts['val']))
    fold_dir, result_file, done = fold_done(work_dir, index, rule)
    if done is not None:
        return done
    chosen_checkpoint = CHECKPOINT_RULES[rule]
    split_dir = osp.abspath(osp.join(work_dir, 'splits', f'fold{index}'))
    write_split_files(parts, split_dir, header=f'fold {index} of {args.folds}, seed {args.seed}')
    options = fold_options(split_dir, bool(parts['val']), args.seed)
    options += [f'{k}={v}' for k, v in args.cfg_options.items()]
    data = ['--data-root', args.data_root] if args.data_root else []
    python = sys.executable
    if read_record(fold_dir, 'train.json').get('rc') != 0:
        epochs = ['--epochs', str(args.epochs)] if args.epochs is not None else []
        cmd = [python, osp.join(REPO, 'tools', 'train.py'), args.config, '--work-dir', fold_dir,
               *data, *epochs, '--cfg-options', *options]
        if latest_epoch_checkpoint(fold_dir):
            cmd.append('--resume')
        print(f'[cv] fold {index}/{args.folds}: training on {len(parts["train"])} images '
              f'(val {len(parts["val"])}, test {len(parts["test"])}); log '
              f'{osp.join(fold_dir, "train_stdout.log")}', flush=True)
        record = run_recorded(cmd, fold_dir, name='train.json', fold=index, seed=args.seed)
        if record['rc'] != 0:
            fail(f'fold {index}: training failed (exit {record["rc"]}); see '
                 f'{osp.join(fold_dir, "train_stdout.log")}; rerun to resume', code=1)
    ckpt = chosen_checkpoint(fold_dir)
    if ckpt is None:
        fail(f'fold {index}: no checkpoint in {fold_dir}', code=1)
    preds = osp.join(fold_dir, 'test', 'predictions.pkl')
    cmd = [python, osp.join(REPO, 'tools', 'test.py'), args.config, ckpt, '--work-dir',
           osp.join(fold_dir, 'test'), '--out', preds, *data, '--cfg-options', *options]
    print(f'[cv] fold {index}: testing {osp.basename(ckpt)} on {len(parts["test"])} images',
          flush=True)
    record = run_recorded(cmd, fold_dir, name='test.json', log_name='test_stdout.log')
    if record['rc'] != 0 or not osp.isfile(preds):
        fail(f'fold {index}: testing failed (exit {record["rc"]}); see '
             f'{osp.join(fold_dir, "test_stdout.log")}', code=1)
    with open(preds, 'rb') as f:
        samples = pickle.load(f)
    rows = [(osp.basename(s['img_path']), int(s['gt_label']), int(s['pred_label']))
            for s in samples]
    trained = read_record(fold_dir, 'train.json')
    result = dict(fold=index, checkpoint=osp.basename(ckpt), checkpoint_rule=rule,
                  images=len(rows),
                  correct=sum(t == p for _, t, p in rows), predictions=rows,
                  train_wall_min=trained.get('wall_min'), command=trained.get('command'),
                  seed=args.seed, commits=trained.get('commits'),
                  hardware=trained.get('hardware'))
    return save_result(result_file, result)


def classical_features(args, work_dir: str, images: list) -> dict:
    """stem -> feature vector of every image for ``--classical`` (cached in the work dir)."""
    import time

    from sdn_study.classical import build_model
    cache = osp.join(work_dir, f'features_{args.classical}.npz')
    stems = [s for s, _, _ in images]
    if osp.isfile(cache):
        data = np.load(cache)
        if list(data['stems']) == stems:
            return dict(zip(stems, data['features']))
    model = build_model(args.classical)
    pictures = []
    for _, path, _ in images:
        picture = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if picture is None:
            fail(f'cannot read image {path}', code=1)
        pictures.append(picture)
    print(f'[cv] {args.classical}: extracting features of {len(pictures)} images on '
          f'{args.threads} threads', flush=True)
    start = time.perf_counter()
    try:
        feats = model.features(pictures, threads=args.threads)
    except ValueError as err:
        fail(f'{args.classical} features: {err}', code=1)
    print(f'[cv] {args.classical}: {feats.shape[1]} features per image in '
          f'{time.perf_counter() - start:.1f} s', flush=True)
    np.savez(cache, stems=np.array(stems), features=feats)
    return dict(zip(stems, feats))


def run_classical_fold(args, work_dir: str, index: int, parts: dict, features: dict,
                       labels: dict, groups: dict, paths: dict) -> dict:
    """Fit ``--classical`` on fold ``index``'s training folds (hyper-parameters by an
    inner grouped cross-validation on them) and test it once on the fold."""
    import time

    from sdn_study.classical import classical_versions, fit_method
    from mmdet_shuffledefect.utils.env import environment_info
    fold_dir, result_file, done = fold_done(work_dir, index)
    if done is not None:
        return done
    os.makedirs(fold_dir, exist_ok=True)
    train = parts['train'] + parts['val']
    print(f'[cv] fold {index}/{args.folds}: fitting {args.classical} on {len(train)} images '
          f'(inner {args.inner_folds}-fold search), testing on {len(parts["test"])}', flush=True)
    start, cpu = time.perf_counter(), time.process_time()
    try:
        model = fit_method(args.classical, np.stack([features[s] for s in train]),
                           np.array([labels[s] for s in train]),
                           groups=[groups[s] for s in train], inner_folds=args.inner_folds,
                           seed=args.seed)
    except ValueError as err:
        fail(f'fold {index}: {err}; lower --inner-folds')  # a flag too large: usage (2)
    fit_min = (time.perf_counter() - start) / 60
    test = parts['test']
    pred = model.estimator.predict(np.stack([features[s] for s in test]))
    with open(osp.join(fold_dir, 'model.pkl'), 'wb') as f:
        pickle.dump(model, f)
    rows = [(osp.basename(paths[s]), int(labels[s]), int(p)) for s, p in zip(test, pred)]
    result = dict(fold=index, checkpoint=f'model.pkl ({model.best_params}, inner CV '
                  f'{100 * model.inner_score:.2f} %)', images=len(rows),
                  correct=sum(t == p for _, t, p in rows), predictions=rows,
                  train_wall_min=fit_min, train_cpu_min=(time.process_time() - cpu) / 60,
                  command=' '.join([sys.executable, *sys.argv]), seed=args.seed,
                  environment=dict(environment_info(), **classical_versions()))
    return save_result(result_file, result, f'; {model.best_params}')


def summarize(args, work_dir: str, results: list, classes: list, paths: dict) -> str:
    """Write summary.md/.json, the misclassified contact sheet and the confusion matrix."""
    from mmdet_shuffledefect.evaluation.confusion_plot import plot_confusion
    from mmdet_shuffledefect.visualization import caption_tile, contact_sheet
    top1 = np.array([r['top1'] for r in results])
    total = sum(r['images'] for r in results)
    errors = [(r['fold'], name, classes[t], classes[p]) for r in results
              for name, t, p in r['predictions'] if t != p]
    matrix = np.zeros((len(classes), len(classes)), int)
    for r in results:
        for _, t, p in r['predictions']:
            matrix[t, p] += 1
    lines = [f'# {args.folds}-fold cross-validation of `{args.config}`', '',
             f'Folds: stratified by class, grouped by file md5, seed {args.seed}; '
             + (f'classical method `{args.classical}`, hyper-parameters chosen by a grouped '
                f'stratified {args.inner_folds}-fold cross-validation inside the training folds'
                if args.classical else 'checkpoint '
                + (f'best on a stratified {args.val_ratio:.0%} of the training folds'
                   if args.val_ratio > 0 and args.checkpoint == 'best' else 'of the last epoch'
                   + (f' (val: a stratified {args.val_ratio:.0%} of the training folds, '
                      'watched only)' if args.val_ratio > 0 else ''))) + '.', '',
             '| fold | test images | top-1 % | errors | checkpoint | train min |',
             '|---|---|---|---|---|---|']
    for r in results:
        minutes = f'{r["train_wall_min"]:.1f}' if r.get('train_wall_min') else ''
        lines.append(f'| {r["fold"]} | {r["images"]} | {r["top1"]:.2f} | '
                     f'{r["images"] - r["correct"]} | {r["checkpoint"]} | {minutes} |')
    lines += ['', f'Top-1: **{top1.mean():.2f} ± {top1.std():.2f} %** (mean ± std over '
              f'{len(results)} folds); errors: **{len(errors)} of {total}** images.', '']
    if len(results) < args.folds:
        lines += [f'Only {len(results)} of {args.folds} folds are tested so far.', '']
    lines += ['Misclassified (fold, file, true, predicted):', '']
    lines += [f'- {f}: `{n}` {t} -> {p}' for f, n, t, p in errors] or ['- none']
    with open(osp.join(work_dir, 'summary.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(dict(config=args.config, folds=args.folds, seed=args.seed,
                       checkpoint=None if args.classical else args.checkpoint,
                       top1_mean=float(top1.mean()), top1_std=float(top1.std()),
                       errors=len(errors), images=total, per_fold=[r['top1'] for r in results],
                       misclassified=[dict(fold=f, file=n, true=t, pred=p)
                                      for f, n, t, p in errors],
                       confusion=matrix.tolist()), f, indent=1)
    plot_confusion(matrix, classes, osp.join(work_dir, 'confusion_matrix.png'),
                   title=f'{osp.basename(args.config)}: {len(results)} folds')
    sheet_path = osp.join(work_dir, 'misclassified.png')
    if errors:
        tiles = [caption_tile(cv2.imread(paths[n], cv2.IMREAD_COLOR), [n, f'true {t}',
                                                                       f'pred {p}'], size=160)
                 for _, n, t, p in errors]
        cv2.imwrite(sheet_path, contact_sheet(tiles, cols=6, title=f'{len(errors)} of {total} '
                                              'misclassified'))
    elif osp.isfile(sheet_path):
        os.remove(sheet_path)
    print('\n'.join(lines[4:4 + len(results) + 4]))
    print(f'[cv] summary in {osp.join(work_dir, "summary.md")}')
    return '\n'.join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not 0.0 <= args.val_ratio < 1.0:
        fail(f'--val-ratio must be in [0, 1), got {args.val_ratio}')
    if args.epochs is not None and args.epochs < 1:
        fail(f'--epochs must be >= 1, got {args.epochs}')
    cfg = load_config(args.config, None, args.data_root, args.classes)
    if cfg.get('default_scope') != 'mmpretrain':
        fail(f'{args.config} is not a classifier config (default_scope '
             f'{cfg.get("default_scope")!r}, expected \'mmpretrain\')')
    if args.classical:
        from sdn_study.classical import CLASSICAL_METHODS
        if args.classical not in CLASSICAL_METHODS:
            fail(f'--classical {args.classical!r} is not a known method; known: '
                 f'{", ".join(sorted(CLASSICAL_METHODS))}')
    work_dir = args.work_dir or osp.join(
        'work_dirs', 'cv', args.classical or osp.splitext(osp.basename(args.config))[0])
    images, classes = all_images(cfg)
    if not images:
        fail(f'no images found for {args.config}', code=1)
    stems = [s for s, _, _ in images]
    strata = {s: c for s, _, c in images}
    paths = {osp.basename(p): p for _, p, _ in images}
    groups = {s: md5(p) for s, p, _ in images}
    try:
        folds = grouped_stratified_folds(stems, args.folds, args.seed, groups, strata)
    except ValueError as err:
        fail(str(err))
    os.makedirs(work_dir, exist_ok=True)
    print(f'[cv] {len(stems)} images, {len(set(groups.values()))} distinct, {args.folds} folds '
          f'of {", ".join(str(len(f)) for f in folds)}; work dir {work_dir}', flush=True)
    outside = sorted(set(k for k in args.only_folds or [] if not 0 <= k < args.folds))
    if outside:
        fail(f'--only-folds {outside}: fold indices must be in 0..{args.folds - 1} '
             f'for --folds {args.folds}')
    features = labels = None
    if args.classical and not args.summarize_only:
        features = classical_features(args, work_dir, images)
        labels = {s: classes.index(c) for s, _, c in images}
        stem_paths = {s: p for s, p, _ in images}
    for index in range(args.folds):
        if args.summarize_only or (args.only_folds and index not in args.only_folds):
            continue
        parts = fold_parts(folds, index, args.val_ratio, args.seed, groups, strata)
        if args.classical:
            run_classical_fold(args, work_dir, index, parts, features, labels, groups,
                               stem_paths)
        else:
            run_fold(args, work_dir, index, parts)
    # every fold's result as it is now (other processes may have tested folds meanwhile)
    results = []
    rule = None if args.classical else checkpoint_rule(args, args.val_ratio > 0)
    for index in range(args.folds):
        path = osp.join(work_dir, f'fold{index}', 'result.json')
        if not osp.isfile(path):
            continue
        with open(path) as f:
            result = json.load(f)
        if rule and result_rule(result) != rule:
            print(f'[cv] fold {index}: tested with the {result_rule(result)} checkpoint, not '
                  f'the {rule} one: left out of the summary (rerun the fold with '
                  f'--checkpoint {rule} to test it again)', flush=True)
            continue
        results.append(result)
    if not results:
        fail(f'no fold of {work_dir} is tested yet; run without --summarize-only')
    summarize(args, work_dir, results, classes, paths)
    return 0


if __name__ == '__main__':
    sys.exit(main())
