"""Picture-level recall and false alarms (is a class flagged on the pictures that hold it?),
alone and through NEUVOCMetric's picture_score_thr."""
import numpy as np
import pytest

from mmdet_shuffledefect.evaluation import NEUVOCMetric, picture_level


def _dets(*scores_per_class):
    return [np.array([[0, 0, 10, 10, s] for s in scores], np.float32).reshape(-1, 5)
            for scores in scores_per_class]


def _gt(labels, ignore=()):
    n, m = len(labels), len(ignore)
    return dict(bboxes=np.tile([[0, 0, 10, 10]], (n, 1)).astype(np.float32).reshape(n, 4),
                labels=np.array(labels, int),
                bboxes_ignore=np.tile([[0, 0, 10, 10]], (m, 1)).astype(np.float32).reshape(m, 4),
                labels_ignore=np.array(ignore, int))


# four pictures, two classes; class 0 held by pictures 0 and 1, class 1 by 2 (3: difficult only)
GTS = [_gt([0]), _gt([0, 0]), _gt([1]), _gt([], ignore=[1])]
DETS = [_dets([0.9, 0.1], []),        # class 0 flagged: a hit
        _dets([0.29], [0.3]),         # class 0 below 0.3: a miss; class 1 at 0.3: a false alarm
        _dets([], [0.5]),             # class 1 flagged: a hit
        _dets([0.8], [0.99])]         # class 0 flagged: false alarm; class 1 difficult: neither


def test_recall_and_false_alarms_per_class():
    r = picture_level(DETS, GTS, 0.3)
    assert r['holding'] == [2, 1] and r['without'] == [2, 2]
    assert r['recall'] == [0.5, 1.0]
    assert r['false_alarm'] == [0.5, 0.5]  # class 1: picture 1 (score == thr) of 0 and 1


def test_a_higher_threshold_trades_recall_for_fewer_alarms():
    r = picture_level(DETS, GTS, 0.95)
    assert r['recall'] == [0.0, 0.0] and r['false_alarm'] == [0.0, 0.0]


def test_a_class_no_picture_holds_has_no_recall():
    r = picture_level([_dets([0.9])], [_gt([])], 0.5)
    assert np.isnan(r['recall'][0]) and r['false_alarm'] == [1.0]


def test_metric_reports_picture_level_only_when_asked():
    metric = NEUVOCMetric(picture_score_thr=0.3)
    metric.dataset_meta = dict(classes=('crazing', 'patches'))
    out = metric.compute_metrics(list(zip(GTS, DETS)))
    assert (out['recall@0.3_crazing'], out['false_alarm@0.3_crazing']) == (0.5, 0.5)
    assert (out['recall@0.3_patches'], out['false_alarm@0.3_patches']) == (1.0, 0.5)
    several = NEUVOCMetric(picture_score_thr=[0.3, 0.95])
    several.dataset_meta = metric.dataset_meta
    out = several.compute_metrics(list(zip(GTS, DETS)))
    assert out['recall@0.3_crazing'] == 0.5 and out['recall@0.95_crazing'] == 0.0
    plain = NEUVOCMetric()
    plain.dataset_meta = metric.dataset_meta
    assert not any(k.startswith('recall') for k in plain.compute_metrics(list(zip(GTS, DETS))))


@pytest.mark.parametrize('call, message', [
    (lambda: picture_level(DETS, GTS, 1.5),
     r'picture-level score threshold must be in \[0, 1\], got 1.5'),
    (lambda: picture_level(DETS, GTS[:3], 0.3), '4 detection results for 3 annotated pictures'),
    (lambda: NEUVOCMetric(picture_score_thr=-0.1),
     r'picture_score_thr must be detection scores in \[0, 1\], got -0.1'),
    (lambda: NEUVOCMetric(picture_score_thr=[0.3, 2]),
     r'picture_score_thr must be detection scores in \[0, 1\], got \[0.3, 2\]'),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
