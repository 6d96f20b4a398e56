"""The bootstrap interval of a test mAP: the same mAP as mmdet's eval_map without
resampling, an interval that holds it and narrows with more images, and clear errors."""
import numpy as np
import pytest
from mmdet.evaluation.functional import eval_map

from mmdet_shuffledefect.evaluation import NEUVOCMetric, bootstrap_map


def _fake_test_set(images=40, classes=3, seed=0):
    """Ground truth (with difficult boxes, one class absent from some images) and noisy
    detections: some hit, some miss, some duplicates."""
    rng = np.random.default_rng(seed)
    dets, anns = [], []
    for _ in range(images):
        n = int(rng.integers(0, 4))
        xy = rng.uniform(0, 150, (n, 2))
        gt = np.hstack([xy, xy + rng.uniform(10, 40, (n, 2))]).astype(np.float32)
        labels = rng.integers(0, classes, n)
        hard = rng.uniform(0, 150, (1, 2))
        anns.append(dict(bboxes=gt, labels=labels,
                         bboxes_ignore=np.hstack([hard, hard + 20]).astype(np.float32),
                         labels_ignore=np.array([int(rng.integers(0, classes))])))
        per_class = []
        for c in range(classes):
            mine = gt[labels == c]
            hits = mine + rng.normal(0, 3, mine.shape)
            noise = rng.uniform(0, 150, (int(rng.integers(0, 3)), 2))
            noise = np.hstack([noise, noise + 25])
            boxes = np.vstack([hits, noise, hits[:1] + 1]).astype(np.float32)
            scores = rng.uniform(0, 1, (len(boxes), 1)).astype(np.float32)
            per_class.append(np.hstack([boxes, scores]))
        dets.append(per_class)
    return dets, anns


def test_without_resampling_it_is_mmdets_eval_map():
    dets, anns = _fake_test_set()
    want, _ = eval_map(dets, anns, iou_thr=0.5, logger='silent', eval_mode='area',
                       use_legacy_coordinate=True, nproc=1)
    got = bootstrap_map(dets, anns, resamples=5)
    assert got['mAP'] == pytest.approx(want, abs=1e-6)  # eval_map averages in float32
    assert 0.05 < want < 0.95  # not a degenerate case


def test_the_interval_holds_the_value_and_narrows_with_more_images():
    dets, anns = _fake_test_set(images=30, seed=1)
    small = bootstrap_map(dets, anns, resamples=150, seed=0)
    assert small['low'] <= small['mAP'] <= small['high']
    assert small['high'] - small['low'] > 0.02
    dets4, anns4 = _fake_test_set(images=480, seed=1)
    big = bootstrap_map(dets4, anns4, resamples=150, seed=0)
    assert big['high'] - big['low'] < 0.6 * (small['high'] - small['low'])
    again = bootstrap_map(dets, anns, resamples=150, seed=0)
    assert again == small  # seeded: the same draws


def test_metric_reports_the_interval():
    dets, anns = _fake_test_set()
    metric = NEUVOCMetric(bootstrap=50)
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    out = metric.compute_metrics(list(zip(anns, dets)))
    assert out['mAP_low'] <= out['AP50'] <= out['mAP_high']
    assert 'mAP_low' not in NEUVOCMetric().compute_metrics.__doc__  # off by default
    plain = NEUVOCMetric()
    plain.dataset_meta = metric.dataset_meta
    assert 'mAP_low' not in plain.compute_metrics(list(zip(anns, dets)))


@pytest.mark.parametrize('call, message', [
    (lambda d, a: bootstrap_map(d, a[:-1]), '40 detection results for 39 annotated images'),
    (lambda d, a: bootstrap_map(d, a, resamples=0), 'resamples must be >= 1, got 0'),
    (lambda d, a: bootstrap_map([], []), 'no image to evaluate'),
    (lambda d, a: NEUVOCMetric(bootstrap=-1), 'bootstrap must be >= 0'),
])
def test_bad_input_is_named(call, message):
    dets, anns = _fake_test_set()
    with pytest.raises(ValueError, match=message):
        call(dets, anns)
