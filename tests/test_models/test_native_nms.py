"""The compiled batch NMS (``mmdet_shuffledefect._greedy_nms``): built by the install, the
same kept boxes as torchvision's full NMS in every case that matters (classes apart,
early stop at max_per_img, unsorted input, invalid candidates, degenerate boxes), and a
clear error for bad input."""
import re

import pytest
import torch
from torchvision.ops import batched_nms

from mmdet_shuffledefect.models.dense_heads.batched_post_process import (native_nms,
                                                                         nms_backend,
                                                                         nms_candidates)


def _reference(boxes, scores, labels, valid, iou_thr, max_per_img):
    """Full class-aware NMS per image (torchvision), the best max_per_img kept."""
    out = []
    for b, s, l, v in zip(boxes, scores, labels, valid):
        idx = v.nonzero().squeeze(1)
        keep = batched_nms(b[idx], s[idx], l[idx], iou_thr)[:max_per_img]
        out.append(idx[keep])
    return out


def _random_candidates(seed, batch=4, count=300, classes=3):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(batch, count, 2, generator=g) * 80
    wh = torch.rand(batch, count, 2, generator=g) * 30 + 1
    boxes = torch.cat([xy, xy + wh], dim=2)
    scores = torch.rand(batch, count, generator=g)
    labels = torch.randint(0, classes, (batch, count), generator=g)
    valid = scores > 0.1
    return boxes, scores, labels, valid


def test_the_install_built_the_kernel():
    assert native_nms() is not None, (
        'mmdet_shuffledefect._greedy_nms is missing: run `make install` (or '
        '`python setup.py build_ext --inplace`) with a C++ compiler')
    assert nms_backend() == 'compiled'


@pytest.mark.parametrize('max_per_img', [1, 7, 50, 1000])
@pytest.mark.parametrize('seed', [0, 1])
def test_same_kept_boxes_as_full_torchvision_nms(seed, max_per_img):
    native = native_nms()
    boxes, scores, labels, valid = _random_candidates(seed)
    keep = native.greedy_nms_batch(boxes, scores, labels, valid, 3, 0.45, max_per_img)
    want = _reference(boxes, scores, labels, valid, 0.45, max_per_img)
    for got, ref in zip(keep, want):
        got = got[got >= 0]
        assert got.tolist() == ref.tolist()  # same boxes, same (score) order


def test_classes_never_suppress_each_other_and_the_stop_is_exact():
    native = native_nms()
    box = torch.tensor([0., 0., 10., 10.])
    boxes = box.repeat(1, 4, 1)
    scores = torch.tensor([[0.9, 0.8, 0.7, 0.6]])
    labels = torch.tensor([[0, 0, 1, 1]])
    valid = torch.ones(1, 4, dtype=torch.bool)
    keep = native.greedy_nms_batch(boxes, scores, labels, valid, 2, 0.5, 10)
    assert keep[0, :3].tolist() == [0, 2, -1]
    keep = native.greedy_nms_batch(boxes, scores, labels, valid, 2, 0.5, 1)
    assert keep.tolist() == [[0]]


def test_invalid_candidates_empty_images_and_zero_area_boxes():
    native = native_nms()
    boxes = torch.tensor([[[0., 0., 0., 0.], [0., 0., 0., 0.], [5., 5., 9., 9.]],
                          [[0., 0., 4., 4.], [0., 0., 4., 4.], [0., 0., 4., 4.]]])
    scores = torch.tensor([[0.9, 0.8, 0.7], [0.9, 0.8, 0.7]])
    labels = torch.zeros(2, 3, dtype=torch.long)
    valid = torch.tensor([[True, True, False], [False, False, False]])
    keep = native.greedy_nms_batch(boxes, scores, labels, valid, 1, 0.5, 5)
    # zero-area boxes have IoU 0/0 (not > thr, as in torchvision): both kept
    assert keep[0].tolist() == [0, 1, -1, -1, -1]
    assert keep[1].tolist() == [-1] * 5


def test_equal_scores_lower_index_first():
    native = native_nms()
    boxes = torch.tensor([[[0., 0., 1., 1.], [5., 5., 6., 6.], [9., 9., 10., 10.]]])
    scores = torch.tensor([[0.5, 0.5, 0.9]])
    keep = native.greedy_nms_batch(boxes, scores, torch.zeros(1, 3, dtype=torch.long),
                                   torch.ones(1, 3, dtype=torch.bool), 1, 0.5, 3)
    assert keep.tolist() == [[2, 0, 1]]


def test_both_backends_give_the_same_padded_detections(monkeypatch):
    boxes, scores, labels, valid = _random_candidates(5, batch=3, count=500)
    native = nms_candidates(boxes, scores, labels, valid, 3, 0.5, 40)
    monkeypatch.setenv('MMDET_SHUFFLEDEFECT_NATIVE_NMS', '0')
    assert nms_backend() == 'torchvision'
    fallback = nms_candidates(boxes, scores, labels, valid, 3, 0.5, 40)
    assert torch.equal(native[1], fallback[1])
    assert torch.equal(native[0], fallback[0])


@pytest.mark.parametrize('change, message', [
    (dict(labels=torch.full((1, 2), 5)), 'label out of range'),
    (dict(boxes=torch.zeros(1, 2, 3)), 'boxes must be (B, K, 4)'),
    (dict(boxes=torch.zeros(1, 2, 4, dtype=torch.float64)), 'must be float32'),
    (dict(valid=torch.ones(1, 3, dtype=torch.bool)), 'must be (B, K) like boxes'),
])
def test_bad_input_is_refused_by_name(change, message):
    native = native_nms()
    args = dict(boxes=torch.zeros(1, 2, 4), scores=torch.ones(1, 2),
                labels=torch.zeros(1, 2, dtype=torch.long),
                valid=torch.ones(1, 2, dtype=torch.bool))
    args.update(change)
    with pytest.raises(RuntimeError, match='greedy_nms_batch: .*' + re.escape(message)):
        native.greedy_nms_batch(args['boxes'], args['scores'], args['labels'],
                                args['valid'], 2, 0.5, 3)
