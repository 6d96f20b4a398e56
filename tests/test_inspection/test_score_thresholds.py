"""Alarm thresholds per class: read from a config, applied per class, chosen on val."""
import json
import math
import os.path as osp

import cv2
import numpy as np
import pytest
from conftest import CONFIG, REPO, run_tool

from mmdet_shuffledefect.utils.score_thresholds import describe, per_class
from mmdet_shuffledefect.evaluation import choose_thresholds

CKPT = osp.join(REPO, 'checkpoints', 'sdn_ssd_neu_20261126_120205-48f4e0af.pth')
CLASSES = ('crazing', 'inclusion', 'patches', 'pitted_surface', 'rolled-in_scale', 'scratches')


def test_one_number_a_dict_or_a_sequence_give_one_threshold_per_class():
    assert per_class(0.3, CLASSES).tolist() == [0.3] * 6
    by_name = dict(zip(CLASSES, [0.2, 0.2, 0.35, 0.35, 0.3, 0.4]))
    assert per_class(by_name, CLASSES).tolist() == [0.2, 0.2, 0.35, 0.35, 0.3, 0.4]
    assert per_class([0.1, 0.2], CLASSES[:2]).tolist() == [0.1, 0.2]
    assert describe(per_class(0.3, CLASSES), CLASSES) == '0.3'
    assert describe(per_class(by_name, CLASSES), CLASSES).startswith('crazing=0.2,inclusion=0.2,')


@pytest.mark.parametrize('value, message', [
    (dict(crazing=0.2), r"unknown \[\], missing \['inclusion', 'patches'"),
    (dict(dict(zip(CLASSES, [0.3] * 6)), rust=0.1), r"unknown \['rust'\], missing \[\]"),
    (1.5, r'score thresholds must be in \[0, 1\], got \[1.5'),
    ([0.3, 0.3], '2 score thresholds for 6 classes'),
])
def test_bad_thresholds_are_named(value, message):
    with pytest.raises(ValueError, match=message):
        per_class(value, CLASSES)


def test_the_highest_threshold_that_keeps_the_recall_is_chosen():
    recall = {0.1: [1.0, 1.0, math.nan], 0.2: [1.0, 0.9, math.nan], 0.3: [0.96, 0.5, math.nan]}
    assert choose_thresholds(recall, 0.95) == [0.3, 0.1, None]  # no picture: none chosen
    with pytest.raises(ValueError, match=r'min_recall must be in \(0, 1\], got 0'):
        choose_thresholds(recall, 0)
    with pytest.raises(ValueError, match='different numbers of classes'):
        choose_thresholds({0.1: [1.0], 0.2: [1.0, 1.0]}, 0.9)


@pytest.fixture(scope='module')
def picture(tmp_path_factory):
    from mmdet_shuffledefect.data_prep.synthetic import write_neu_det
    root = tmp_path_factory.mktemp('thr')
    write_neu_det(str(root / 'synth'), num_images=6, seed=3)
    src = root / 'in'
    src.mkdir()
    for i, name in enumerate(sorted((root / 'synth' / 'IMAGES').iterdir())):
        cv2.imwrite(str(src / f'{i}.png'), cv2.imread(str(name)))
    return src


def test_a_class_threshold_acts_on_that_class_only(picture):
    from mmdet_shuffledefect.apis import init_inspection_model
    from mmdet_shuffledefect.inspection import detect_many
    model = init_inspection_model(osp.join(REPO, CONFIG), CKPT)
    imgs = [cv2.imread(str(p)) for p in sorted(picture.iterdir())]
    low = detect_many(model, imgs, 0.02)
    labels = np.concatenate([l for _, _, l in low])
    top = int(np.bincount(labels).argmax())  # the class detected most
    thr = dict(zip(CLASSES, [0.02] * 6), **{CLASSES[top]: 1.0})
    raised = detect_many(model, imgs, thr)
    for (b0, s0, l0), (b1, s1, l1) in zip(low, raised):
        keep = l0 != top
        assert not (l1 == top).any()
        np.testing.assert_array_equal(l1, l0[keep])
        np.testing.assert_allclose(s1, s0[keep])
        np.testing.assert_allclose(b1, b0[keep])


def _config(tmp_path, thresholds):
    path = tmp_path / 'with_thresholds.py'
    path.write_text(f"_base_ = {osp.join(REPO, CONFIG)!r}\ninspection_score_thr = {thresholds!r}\n")
    return str(path)


def test_the_tool_reads_the_configs_thresholds_and_says_so(picture, tmp_path):
    thresholds = dict(zip(CLASSES, [0.05, 0.05, 0.9, 0.05, 0.05, 0.05]))
    config = _config(tmp_path, thresholds)
    proc = run_tool(['tools/inspect_defects.py', config, CKPT, str(picture), '--out-dir',
                     str(tmp_path / 'cfg'), '--no-images'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert ('score threshold: crazing=0.05,inclusion=0.05,patches=0.9,pitted_surface=0.05,'
            "rolled-in_scale=0.05,scratches=0.05 (the config's inspection_score_thr") in proc.stdout
    summary = json.loads((tmp_path / 'cfg' / 'summary.json').read_text())
    assert summary['score_thr'] == thresholds
    report = json.loads((tmp_path / 'cfg' / 'report.json').read_text())
    scores = [(d['class'], d['score']) for r in report for d in r['defects']]
    assert scores and all(s >= thresholds[c] for c, s in scores)
    # --score-thr wins over the config, for every class
    proc = run_tool(['tools/inspect_defects.py', config, CKPT, str(picture), '--out-dir',
                     str(tmp_path / 'flag'), '--no-images', '--score-thr', '0.05'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'score threshold: 0.05 (--score-thr' in proc.stdout
    assert json.loads((tmp_path / 'flag' / 'summary.json').read_text())['score_thr'] == 0.05


def test_config_thresholds_for_other_classes_are_set_aside_and_said(picture, tmp_path):
    """A config with thresholds for other classes never stops a model: its own (or the
    default) are used, and the tool says why the config's were not."""
    from mmdet_shuffledefect.utils.checkpoint_fit import checkpoint_meta
    config = _config(tmp_path, dict(rust=0.2, hole=0.3))
    proc = run_tool(['tools/inspect_defects.py', config, CKPT, str(picture), '--out-dir',
                     str(tmp_path / 'out'), '--no-images'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "the checkpoint's own" in proc.stdout
    assert (f"the config's inspection_score_thr ({config}) names other classes (classes hole, "
            'rust) and is not used') in proc.stdout
    summary = json.loads((tmp_path / 'out' / 'summary.json').read_text())
    assert summary['score_thr'] == checkpoint_meta(CKPT)['inspection_score_thr']


def test_a_margin_moves_the_choice_down_the_grid():
    recall = {0.1: [1.0, 1.0, math.nan], 0.2: [1.0, 0.9, math.nan], 0.3: [0.96, 0.5, math.nan]}
    assert choose_thresholds(recall, 0.95, margin_steps=1) == [0.2, 0.1, None]
    assert choose_thresholds(recall, 0.95, margin_steps=5) == [0.1, 0.1, None]
    with pytest.raises(ValueError, match='margin_steps must be an integer >= 0, got -1'):
        choose_thresholds(recall, 0.95, margin_steps=-1)


def test_a_false_alarm_cap_raises_the_threshold():
    recall = {0.1: [1.0, 1.0], 0.2: [1.0, 1.0], 0.3: [0.5, 0.96]}
    alarms = {0.1: [0.5, 0.3], 0.2: [0.05, 0.2], 0.3: [0.0, 0.15]}
    assert choose_thresholds(recall, 0.95, 0, alarms, 0.1) == [0.2, 0.3]  # top of the grid
    with pytest.raises(ValueError, match='max_false_alarm must be in'):
        choose_thresholds(recall, 0.95, 0, alarms, 1.5)
    with pytest.raises(ValueError, match='needs the false alarms at the same thresholds'):
        choose_thresholds(recall, 0.95, 0, None, 0.1)


def test_own_classes_drop_the_configs_per_class_thresholds(tmp_path):
    """``--classes`` (set_classes): thresholds chosen for NEU's classes leave the config, said
    in a warning, so the work dir's config does not make the inspection tools refuse it."""
    import warnings

    from mmengine.config import Config

    from mmdet_shuffledefect.utils.config_data import set_classes
    final = _config(tmp_path, dict(zip(CLASSES, [0.2, 0.2, 0.35, 0.35, 0.3, 0.4])))
    cfg = Config.fromfile(final)
    assert set(cfg.inspection_score_thr) == set(CLASSES)
    with pytest.warns(UserWarning, match=r"inspection_score_thr removed: .* not \['scale', "
                      r"'hole'\]; .*choose_score_thr\.py"):
        set_classes(cfg, ['scale', 'hole'])
    assert 'inspection_score_thr' not in cfg
    same = Config.fromfile(final)
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # the same classes: kept, nothing said
        set_classes(same, list(reversed(CLASSES)))
    assert same.inspection_score_thr['crazing'] == 0.2
