"""Grouped, stratified k-fold cross-validation (data_prep/folds.py and the study wing's
cross_validate.py)."""
import json
import os.path as osp
from collections import Counter

import pytest
from conftest import CLS_CONFIG, REPO, STUDY_TOOLS, run_tool

from mmdet_shuffledefect.data_prep.folds import fold_parts, grouped_stratified_folds
from mmdet_shuffledefect.datasets.neu_classes import file_class



def names(per_class=10, prefixes=('Cr', 'Pa', 'Sc')):
    return [f'{p}_{i}' for p in prefixes for i in range(1, per_class + 1)]


def test_folds_are_stratified_seeded_and_cover_everything():
    stems = names(10)
    folds = grouped_stratified_folds(stems, 5, seed=0)
    assert sorted(n for f in folds for n in f) == sorted(stems)
    for fold in folds:
        assert Counter(file_class(n) for n in fold) == {'Cr': 2, 'Pa': 2, 'Sc': 2}
    assert folds == grouped_stratified_folds(stems, 5, seed=0)
    assert folds != grouped_stratified_folds(stems, 5, seed=1)


def test_identical_images_share_a_fold_and_a_part():
    stems = names(10)
    groups = {'Pa_1': 'same-md5', 'Pa_5': 'same-md5'}
    for seed in range(5):
        folds = grouped_stratified_folds(stems, 3, seed=seed, groups=groups)
        assert sum(('Pa_1' in f) + ('Pa_5' in f) for f in folds) == 2
        assert any('Pa_1' in f and 'Pa_5' in f for f in folds)
        for index in range(3):
            parts = fold_parts(folds, index, val_ratio=0.3, seed=seed, groups=groups)
            holder = [k for k, v in parts.items() if 'Pa_1' in v]
            assert holder and all('Pa_5' in parts[k] for k in holder)


def test_fold_parts_hold_out_a_stratified_val():
    folds = grouped_stratified_folds(names(10), 5, seed=0)
    parts = fold_parts(folds, 2, val_ratio=0.25, seed=0)
    assert parts['test'] == folds[2]
    assert not set(parts['train']) & set(parts['val'])
    assert not (set(parts['train']) | set(parts['val'])) & set(parts['test'])
    assert Counter(file_class(n) for n in parts['val']) == {'Cr': 2, 'Pa': 2, 'Sc': 2}
    assert fold_parts(folds, 0, val_ratio=0.0)['val'] == []


def test_folds_bad_arguments():
    with pytest.raises(ValueError, match='--folds must be at least 2, got 1'):
        grouped_stratified_folds(names(4), 1)
    stems = names(10) + ['Rare_1', 'Rare_2']
    with pytest.raises(ValueError, match="--folds 3 is more than class 'Rare' has groups"):
        grouped_stratified_folds(stems, 3)
    folds = grouped_stratified_folds(names(4), 2)
    with pytest.raises(ValueError, match=r'fold index must be in \[0, 1\], got 2'):
        fold_parts(folds, 2)
    with pytest.raises(ValueError, match=r'val_ratio must be in \[0, 1\), got 1.0'):
        fold_parts(folds, 0, val_ratio=1.0)


def cv_args(root, work, folds='2'):
    opts = ['train_dataloader.batch_size=4', 'default_hooks.logger.interval=1']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return [f'{STUDY_TOOLS}/cross_validate.py', CLS_CONFIG, '--folds', folds, '--data-root',
            str(root),
            '--work-dir', str(work), '--val-ratio', '0.25', '--epochs', '1', '--cfg-options'] + opts


def test_cross_validate_end_to_end_and_resumes(cls_root, tmp_path):
    work = tmp_path / 'cv'
    # one fold first (as a second process or machine would), then the rest
    proc = run_tool(cv_args(cls_root, work) + ['--only-folds', '1'])
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert not (work / 'fold0').exists() and (work / 'fold1' / 'result.json').is_file()
    assert 'Only 1 of 2 folds are tested so far.' in (work / 'summary.md').read_text()
    proc = run_tool(cv_args(cls_root, work))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert '36 images, 35 distinct, 2 folds of 18, 18' in proc.stdout
    assert proc.stdout.count('done before, skipped') == 1
    summary = json.loads((work / 'summary.json').read_text())
    assert summary['images'] == 36 and len(summary['per_fold']) == 2
    results = [json.loads((work / f'fold{i}' / 'result.json').read_text()) for i in range(2)]
    assert summary['errors'] == sum(r['images'] - r['correct'] for r in results)
    assert sum(map(sum, summary['confusion'])) == 36
    # each fold tested the checkpoint chosen on its val part, once, on its own fold
    for i, r in enumerate(results):
        assert r['checkpoint'].startswith('best_accuracy_top1_epoch_1')
        tested = sorted(osp.splitext(p[0])[0] for p in r['predictions'])
        split = (work / 'splits' / f'fold{i}' / 'test.txt').read_text().split('\n')
        assert tested == sorted(s for s in split if s and not s.startswith('#'))
    pa_fold = [i for i in range(2)
               if 'Pa_2' in (work / 'splits' / f'fold{i}' / 'test.txt').read_text()]
    assert 'Pa_6\n' in (work / 'splits' / f'fold{pa_fold[0]}' / 'test.txt').read_text()
    text = (work / 'summary.md').read_text()
    assert f"errors: **{summary['errors']} of 36** images" in text
    assert osp.isfile(work / 'confusion_matrix.png')
    assert osp.isfile(work / 'misclassified.png') == (summary['errors'] > 0)
    record = json.loads((work / 'fold0' / 'train.json').read_text())
    assert record['rc'] == 0 and 'tools/train.py' in record['command']
    # each fold's result names its command, seed, commit(s) and machine
    assert results[0]['command'] == record['command'] and results[0]['seed'] == 0
    assert results[0]['commits'] == record['commits'] and results[0]['commits'][0]
    assert 'cores' in results[0]['hardware']
    # a finished fold is not trained again
    proc = run_tool(cv_args(cls_root, work))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count('done before, skipped') == 2
    # --checkpoint last: each fold's last epoch is tested, without training again; a fold
    # still tested under the other rule is left out of the summary, saying so
    proc = run_tool(cv_args(cls_root, work) + ['--checkpoint', 'last', '--only-folds', '0'])
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert proc.stdout.count('tested before with the best checkpoint') == 1
    assert ('fold 1: tested with the best checkpoint, not the last one: left out of the '
            'summary') in proc.stdout
    assert json.loads((work / 'summary.json').read_text())['per_fold'] == [
        json.loads((work / 'fold0' / 'result.json').read_text())['top1']]
    proc = run_tool(cv_args(cls_root, work) + ['--checkpoint', 'last'])
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert proc.stdout.count('tested before with the best checkpoint') == 1
    assert 'training on' not in proc.stdout and 'left out of the summary' not in proc.stdout
    results = [json.loads((work / f'fold{i}' / 'result.json').read_text()) for i in range(2)]
    assert [(r['checkpoint'], r['checkpoint_rule']) for r in results] == [('epoch_1.pth',
                                                                          'last')] * 2
    assert 'checkpoint of the last epoch (val: a stratified 25% of the training folds, ' \
        'watched only)' in (work / 'summary.md').read_text()
    assert json.loads((work / 'summary.json').read_text())['checkpoint'] == 'last'
    proc = run_tool(cv_args(cls_root, work) + ['--checkpoint', 'last'])
    assert proc.returncode == 0 and proc.stdout.count('done before, skipped') == 2


def test_cross_validate_bad_folds(cls_root, tmp_path):
    proc = run_tool(cv_args(cls_root, tmp_path / 'a', folds='1'))
    assert proc.returncode != 0 and '--folds must be at least 2, got 1' in proc.stderr
    proc = run_tool(cv_args(cls_root, tmp_path / 'b', folds='6'))
    assert proc.returncode != 0
    assert "--folds 6 is more than class 'patches' has groups of images (5)" in proc.stderr
    proc = run_tool(cv_args(cls_root, tmp_path / 'c') + ['--only-folds', '1', '2', '-1'])
    assert proc.returncode != 0
    assert '--only-folds [-1, 2]: fold indices must be in 0..1 for --folds 2' in proc.stderr
    proc = run_tool([f'{STUDY_TOOLS}/cross_validate.py',
                     osp.join(REPO, 'configs', 'sdn_ssd_neu.py')])
    assert proc.returncode != 0 and 'is not a classifier config' in proc.stderr
