"""The batched post-processing of FastSSDHead / FastRetinaHead: the same detections as
mmdet's stock per-image path, the same per image whatever the batch, and no need for
mmcv's compiled ops — with the package's compiled batch NMS and with torchvision's."""
import os.path as osp

import numpy as np
import pytest
import torch

from conftest import CKPT_40E, REPO
from conftest import RECIPE_40E as CONFIG

CKPT = CKPT_40E
RETINA = 'configs/sdn_retinanet_neu.py'


@pytest.fixture(autouse=True, params=['compiled', 'torchvision'])
def nms_backend(request, monkeypatch):
    """Every test runs with the compiled batch NMS and with torchvision's."""
    from mmdet_shuffledefect.models.dense_heads.batched_post_process import nms_backend
    if request.param == 'torchvision':
        monkeypatch.setenv('MMDET_SHUFFLEDEFECT_NATIVE_NMS', '0')
    assert nms_backend() == request.param
    return request.param


def _detector(config, ckpt=None):
    import mmdet_shuffledefect  # noqa: F401
    from mmdet.apis import init_detector
    from mmengine.config import Config
    return init_detector(Config.fromfile(osp.join(REPO, config)), ckpt, device='cpu').eval()


@pytest.fixture(scope='module')
def ssd():
    return _detector(CONFIG, CKPT)


@pytest.fixture(scope='module')
def retina():
    return _detector(RETINA)


@pytest.fixture(scope='module')
def steel_batch(tmp_path_factory):
    """Six synthetic steel images (one per class) as a float batch at 192 px."""
    import cv2

    from mmdet_shuffledefect.data_prep.synthetic import write_neu_det
    root = str(tmp_path_factory.mktemp('steel'))
    write_neu_det(root, num_images=6, seed=3)
    names = sorted(f for f in __import__('os').listdir(osp.join(root, 'IMAGES')))
    imgs = [cv2.resize(cv2.imread(osp.join(root, 'IMAGES', n)), (192, 192)) for n in names]
    return torch.from_numpy(np.stack(imgs).transpose(0, 3, 1, 2).copy())


def _outs(model, images):
    pre = model.data_preprocessor
    x = (images.float()[:, [2, 1, 0]] - pre.mean.view(1, 3, 1, 1)) / pre.std.view(1, 3, 1, 1)
    with torch.no_grad():
        return model.bbox_head(model.extract_feat(x))


def _metas(n, scale=(200 / 192, 200 / 192)):
    return [dict(img_shape=(192, 192), ori_shape=(200, 200), scale_factor=scale)] * n


def _stock(model, outs, metas):
    from mmdet.models.dense_heads.base_dense_head import BaseDenseHead
    with torch.no_grad():
        return BaseDenseHead.predict_by_feat(model.bbox_head, *outs, batch_img_metas=metas,
                                             rescale=True)


def _fast(model, outs, metas):
    with torch.no_grad():
        return model.bbox_head.predict_by_feat(*outs, batch_img_metas=metas, rescale=True)


def assert_same_detections(got, want, atol=1e-4):
    """The same detections: count, labels, scores (1e-5) and boxes (``atol`` px), up to
    the order of exactly tied scores (counted and reported, no budget of differences)."""
    from mmdet_shuffledefect.deployment.compare import compare_detections
    result = compare_detections(got.bboxes.numpy(), got.scores.numpy(), got.labels.numpy(),
                                want.bboxes.numpy(), want.scores.numpy(), want.labels.numpy(),
                                box_atol=atol)
    assert result['same'], result['message']
    return result


def test_fast_ssd_matches_stock_on_published_weights(ssd, steel_batch):
    outs = _outs(ssd, steel_batch)
    fast, stock = _fast(ssd, outs, _metas(6)), _stock(ssd, outs, _metas(6))
    assert sum(len(r) for r in stock) > 6  # the comparison is not vacuous
    for got, want in zip(fast, stock):
        assert_same_detections(got, want)


def test_fast_retinanet_matches_stock(retina):
    """Sigmoid scores, five levels, rescaling; head outputs drawn at random (no ties)."""
    g = torch.Generator().manual_seed(0)
    anchors = retina.bbox_head.num_base_priors
    sizes = [24, 12, 6, 3, 2]
    cls = [torch.randn(3, anchors * 6, n, n, generator=g) * 3 - 4 for n in sizes]
    box = [torch.randn(3, anchors * 4, n, n, generator=g) * 0.5 for n in sizes]
    fast, stock = _fast(retina, (cls, box), _metas(3)), _stock(retina, (cls, box), _metas(3))
    assert all(len(r) == 100 for r in stock)  # max_per_img binds: the order matters too
    for got, want in zip(fast, stock):
        assert torch.equal(got.labels, want.labels)
        torch.testing.assert_close(got.scores, want.scores, atol=1e-6, rtol=0)
        torch.testing.assert_close(got.bboxes, want.bboxes, atol=1e-3, rtol=0)


def test_batch_of_one_equals_batch_of_many(ssd, steel_batch):
    batched = _fast(ssd, _outs(ssd, steel_batch), _metas(6))
    for i in range(6):
        alone = _fast(ssd, _outs(ssd, steel_batch[i:i + 1]), _metas(1))[0]
        assert len(alone) == len(batched[i])
        torch.testing.assert_close(alone.bboxes, batched[i].bboxes, atol=1e-3, rtol=0)
        torch.testing.assert_close(alone.scores, batched[i].scores, atol=1e-5, rtol=0)
        assert torch.equal(alone.labels, batched[i].labels)


def test_nms_per_image_and_per_batch_agree(ssd, steel_batch):
    outs = _outs(ssd, steel_batch)
    whole = _fast(ssd, outs, _metas(6))
    ssd.bbox_head.nms_chunk = 1
    try:
        per_image = _fast(ssd, outs, _metas(6))
    finally:
        ssd.bbox_head.nms_chunk = 0
    for a, b in zip(whole, per_image):
        assert torch.equal(a.labels, b.labels) and torch.equal(a.bboxes, b.bboxes)


def test_max_per_img_and_empty_images(ssd, steel_batch):
    from mmengine.config import ConfigDict
    outs = _outs(ssd, steel_batch[:2])
    cfg = ConfigDict(dict(ssd.bbox_head.test_cfg, max_per_img=3))
    res = ssd.bbox_head.predict_by_feat(*outs, batch_img_metas=_metas(2), cfg=cfg)
    assert [len(r) for r in res] == [3, 3]
    cfg = ConfigDict(dict(ssd.bbox_head.test_cfg, score_thr=1.0))
    res = ssd.bbox_head.predict_by_feat(*outs, batch_img_metas=_metas(2), cfg=cfg)
    assert [len(r) for r in res] == [0, 0] and res[0].bboxes.shape == (0, 4)


def _break_mmcv_nms(monkeypatch):
    from mmcv.ops.nms import NMSop

    def refuse(*args, **kwargs):
        raise RuntimeError('mmcv compiled nms called')

    monkeypatch.setattr(NMSop, 'forward', staticmethod(refuse))


def test_prediction_needs_no_mmcv_compiled_ops(ssd, steel_batch, monkeypatch):
    outs = _outs(ssd, steel_batch[:2])
    _break_mmcv_nms(monkeypatch)
    with pytest.raises(RuntimeError, match='mmcv compiled nms called'):
        _stock(ssd, outs, _metas(2))  # the stock path does need it
    res = _fast(ssd, outs, _metas(2))
    assert all(len(r) > 0 for r in res)


def test_whole_detector_through_test_step_without_mmcv_ops(ssd, tmp_path, monkeypatch):
    """mmdet's own inference entry point runs on the fast head with mmcv's NMS broken."""
    from mmdet.apis import inference_detector
    _break_mmcv_nms(monkeypatch)
    img = np.random.default_rng(0).integers(0, 256, (200, 200, 3), np.uint8)
    result = inference_detector(ssd, img)
    assert result.pred_instances.bboxes.shape[-1] == 4


def test_nms_chunk_must_be_non_negative():
    from mmdet_shuffledefect.models.dense_heads import FastSSDHead
    with pytest.raises(ValueError, match='nms_chunk must be >= 0, got -1'):
        FastSSDHead(num_classes=2, in_channels=(8, 8), nms_chunk=-1, anchor_generator=dict(
            type='SSDAnchorGenerator', scale_major=False, input_size=64, strides=[16, 32],
            ratios=[[2], [2]], min_sizes=[16, 32], max_sizes=[32, 64]))


@pytest.mark.gpu
def test_fast_head_on_cuda_matches_cpu(ssd, steel_batch):
    if not torch.cuda.is_available():
        pytest.skip('no CUDA device')
    outs = _outs(ssd, steel_batch)
    cpu = _fast(ssd, outs, _metas(6))
    ssd.cuda()
    try:
        gpu = _fast(ssd, [[t.cuda() for t in o] for o in outs], _metas(6))
    finally:
        ssd.cpu()
    for a, b in zip(gpu, cpu):
        assert_same_detections(a.cpu(), b)


@pytest.fixture(scope='module')
def rtmdet():
    torch.manual_seed(0)  # the backbone's initial weights: the same model every run
    return _detector('configs/_base_/rtmdet_sdn-1.0x_fusion_neu-det.py')


def test_fast_rtmdet_matches_stock(rtmdet):
    """Anchor-free: sigmoid scores, one point per location on strides 8/16/32, distances
    decoded and clipped, rescaling; head outputs drawn at random (no ties). (An untrained
    head's own outputs score hundreds of locations alike to 1e-6: NMS may keep any member
    of such a tie, so they cannot show equality; test_onnx_export runs the real forward.)"""
    from mmdet_shuffledefect.models.dense_heads import FastRTMDetSepBNHead
    assert isinstance(rtmdet.bbox_head, FastRTMDetSepBNHead)
    g = torch.Generator().manual_seed(1)
    sizes, strides = [24, 12, 6], [8, 16, 32]
    cls = [torch.randn(3, 6, n, n, generator=g) * 3 - 4 for n in sizes]
    box = [torch.rand(3, 4, n, n, generator=g) * 3 * s for n, s in zip(sizes, strides)]
    fast, stock = _fast(rtmdet, (cls, box), _metas(3)), _stock(rtmdet, (cls, box), _metas(3))
    assert all(len(r) == 200 for r in stock)  # max_per_img binds: the order matters too
    # some boxes reach past the image: the clipping is compared too (192 px, rescaled)
    edge = 192 / (200 / 192)
    assert any(float(r.bboxes.max()) >= edge - 1e-3 for r in stock)
    for got, want in zip(fast, stock):
        assert torch.equal(got.labels, want.labels)
        torch.testing.assert_close(got.scores, want.scores, atol=1e-6, rtol=0)
        torch.testing.assert_close(got.bboxes, want.bboxes, atol=1e-3, rtol=0)
