"""``deployment.compare``: the check every "same detections" claim of the project rests on
(fast heads vs mmdet's, onnxruntime and OpenVINO vs PyTorch, export_onnx.py's refusal).
It must pass reorderings and tie cuts, and catch every real difference."""
import numpy as np
import pytest

from mmdet_shuffledefect.deployment.compare import (compare_best_untied,
                                                    compare_detections, tie_groups)


def _dets(n=6, seed=0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 150, (n, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 40, (n, 2))], axis=1).astype(np.float32)
    scores = np.linspace(0.9, 0.4, n)  # spread: no ties
    labels = rng.integers(0, 6, n)
    return boxes, scores, labels


def test_same_detections_in_another_order_are_the_same():
    b, s, l = _dets()
    perm = np.random.default_rng(1).permutation(len(s))
    r = compare_detections(b[perm] + 5e-5, s[perm] + 5e-6, l[perm], b, s, l)
    assert r['same'], r['message']
    assert r['count'] == (6, 6) and r['unmatched'] == (0, 0) and r['ties'] == 0
    assert r['max_box_diff'] == pytest.approx(5e-5, rel=0.1)


def test_scores_astride_a_rounding_step_do_not_shuffle_ranks():
    """0.12345049 vs 0.12345051 at score_atol 1e-5: rounding would put them in different
    buckets; matching pairs them (the sort-and-compare check failed here on labels)."""
    b, _, l = _dets(3)
    l = np.array([0, 1, 2])
    want = np.array([0.12345049, 0.1234531, 0.1234480])
    got = np.array([0.12345051, 0.1234530, 0.1234481])
    r = compare_detections(b, got, l, b, want, l)
    assert r['same'], r['message']
    assert r['ties'] == 3  # all three within 1e-5 of a neighbour


@pytest.mark.parametrize('change, message', [
    ('label', 'have no partner'),
    ('score', 'have no partner'),
    ('box', 'boxes differ by up to 1.0'),
    ('drop', '1 wanted and 0 checked detections have no partner'),
    ('extra', '(7 detections vs 6)'),
])
def test_every_real_difference_is_caught(change, message):
    b, s, l = _dets()
    gb, gs, gl = b.copy(), s.copy(), l.copy()
    if change == 'label':
        gl[2] = (gl[2] + 1) % 6
    elif change == 'score':
        gs[2] += 1e-3
    elif change == 'box':
        gb[2, 1] += 1.0
    elif change == 'drop':
        gb, gs, gl = gb[[0, 1, 3, 4, 5]], gs[[0, 1, 3, 4, 5]], gl[[0, 1, 3, 4, 5]]
    else:  # a detection below the last one, not tied with it
        gb, gs, gl = np.vstack([gb, gb[:1]]), np.append(gs, 0.1), np.append(gl, 0)
    r = compare_detections(gb, gs, gl, b, s, l)
    assert not r['same']
    assert message in r['message'], r['message']


def test_a_cut_inside_the_bottom_tie_may_keep_another_member():
    """max_per_img falls inside a tie: each side kept a different tied member."""
    b, s, l = _dets(5)
    s[3:] = 0.3  # the last two tied
    got = [b[[0, 1, 2, 3]], s[[0, 1, 2, 3]], l[[0, 1, 2, 3]]]
    want = [b[[0, 1, 2, 4]], s[[0, 1, 2, 4]], l[[0, 1, 2, 4]]]
    want[2] = want[2].copy()
    want[2][3] = (got[2][3] + 1) % 6  # the other member has another label
    r = compare_detections(*got, *want, max_per_img=4)
    assert r['same'], r['message']
    assert r['unmatched'] == (1, 1) and 'unpaired in the bottom tie' in r['message']
    # with the cap named, unpaired detections on a side under it are a difference
    for cap in (5, None):  # under the cap, or no cap named and as many on each side
        r = compare_detections(*got, *want, max_per_img=cap)
        assert not r['same'] and 'have no partner' in r['message']


def test_one_side_longer_by_tied_members_passes_and_untied_does_not():
    b, s, l = _dets(5)
    s[3:] = 0.3
    r = compare_detections(b[:4], s[:4], l[:4], b, s, l)
    assert r['same'], r['message']
    s[4] = 0.2  # the extra one is not tied with the last kept
    r = compare_detections(b[:4], s[:4], l[:4], b, s, l)
    assert not r['same'] and '(4 detections vs 5)' in r['message']


def test_empty_lists_are_the_same_and_bad_shapes_are_named():
    empty = (np.zeros((0, 4)), np.zeros(0), np.zeros(0, int))
    assert compare_detections(*empty, *empty)['same']
    with pytest.raises(ValueError, match='got: 2 boxes, 1 scores and 2 labels'):
        compare_detections(np.zeros((2, 4)), [0.5], [0, 1], *empty)
    with pytest.raises(ValueError, match='tolerances must be >= 0'):
        compare_detections(*empty, *empty, score_atol=-1)


def test_tie_groups_link_neighbours():
    assert tie_groups(np.array([0.9, 0.5, 0.5, 0.49999, 0.2]), 2e-5).tolist() == [0, 1, 1, 1, 2]


def test_best_untied_ignores_what_a_tie_inside_nms_changes():
    """Below a tie the runtimes may legitimately differ; the best untied ones may not."""
    b, s, l = _dets(8)
    s[5:] = 0.3  # a tie: below it the other runtime kept other boxes
    got_b = b.copy()
    got_b[5:] += 30
    r = compare_best_untied(got_b, s, l, b, s, l, best=8)
    assert r['same'] and r['checked'] == 5, r['message']
    got_b[1, 0] += 1  # an untied detection moved by a pixel
    r = compare_best_untied(got_b, s, l, b, s, l, best=8)
    assert not r['same'] and 'is missing' in r['message']
    r = compare_best_untied(b, s, l, b, s, l, best=8, min_untied=6)
    assert not r['same'] and 'only 5 untied detections' in r['message']
