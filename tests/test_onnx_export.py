"""The backbone exports to ONNX and onnxruntime reproduces its outputs."""
import json

import numpy as np
import pytest
import torch

from mmdet_shuffledefect.models.backbones import ShuffleDefectNet


@pytest.mark.parametrize('unit', ['bottleneck', 'v2'])
def test_backbone_onnx_matches_torch(tmp_path, unit):
    import onnx
    import onnxruntime as ort
    net = ShuffleDefectNet(widen_factor=0.5, unit=unit, out_indices=(0, 1, 2, 3)).eval()
    x = torch.rand(1, 3, 96, 96)
    path = str(tmp_path / 'sdn.onnx')
    torch.onnx.export(net, (x, ), path, dynamo=False, opset_version=17,
                      input_names=['input'], output_names=[f'out{i}' for i in range(4)])
    onnx.checker.check_model(onnx.load(path))
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    got = sess.run(None, {'input': x.numpy()})
    with torch.no_grad():
        want = net(x)
    assert len(got) == 4
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-4, atol=1e-4)


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    """The 40-epoch recipe with its published weights, exported whole."""
    import os.path as osp

    import mmdet_shuffledefect  # noqa: F401
    from mmengine.config import Config

    from conftest import CKPT_40E, REPO
    from conftest import RECIPE_40E as CONFIG
    from mmdet_shuffledefect.deployment import export_onnx
    cfg = Config.fromfile(osp.join(REPO, CONFIG))
    ckpt = CKPT_40E
    path = str(tmp_path_factory.mktemp('onnx') / 'sdn_ssd.onnx')
    meta = export_onnx(cfg, ckpt, path, config_name=osp.basename(CONFIG))
    return cfg, ckpt, path, meta


def _steel_images(n, seed=0):
    """uint8 BGR (n, 3, 192, 192) steel-like images with defects."""
    import tempfile

    import cv2

    from mmdet_shuffledefect.data_prep.synthetic import write_neu_det
    with tempfile.TemporaryDirectory() as root:
        write_neu_det(root, num_images=n, seed=seed)
        import os
        names = sorted(os.listdir(os.path.join(root, 'IMAGES')))[:n]
        imgs = [cv2.resize(cv2.imread(os.path.join(root, 'IMAGES', f)), (192, 192))
                for f in names]
    return np.stack(imgs).transpose(0, 3, 1, 2).copy()


def test_whole_detector_onnx_reproduces_pytorch(exported):
    import onnx
    from mmdet.apis import init_detector

    from mmdet_shuffledefect.deployment import ExportableDetector, OnnxDetector
    cfg, ckpt, path, meta = exported
    onnx.checker.check_model(onnx.load(path))
    ops = {n.op_type for n in onnx.load(path).graph.node}
    assert 'NonMaxSuppression' in ops and 'TopK' in ops
    ort_model = OnnxDetector(path, threads=2)
    assert ort_model.classes == tuple(cfg.classes) and ort_model.input_size == (192, 192)
    assert json.loads(meta['mean']) == [127.5] * 3 and json.loads(meta['std']) == [64.0] * 3
    wrapper = ExportableDetector(init_detector(cfg, ckpt, device='cpu')).eval()
    for batch in (1, 4):  # the batch dimension is dynamic
        images = _steel_images(batch, seed=batch)
        with torch.no_grad():
            want_dets, want_labels = (t.numpy() for t in wrapper(torch.from_numpy(images)))
        got_dets, got_labels = ort_model(images)
        assert got_dets.shape == (batch, 200, 5) and got_labels.shape == (batch, 200)
        assert (want_labels >= 0).sum() > batch  # detections to compare
        same = got_labels == want_labels
        assert same.mean() >= 0.98
        np.testing.assert_allclose(got_dets[same], want_dets[same], atol=2e-3, rtol=0)
        assert (got_dets[got_labels < 0] == 0).all()  # padding
    flat = np.full((2, 3, 192, 192), 128, np.uint8)  # featureless: few or no candidates
    dets, labels = ort_model(flat)
    assert dets.shape == (2, 200, 5) and labels.shape == (2, 200)


def test_onnx_detections_equal_the_fast_head(exported):
    """The exported graph and the model's own predict_by_feat give the same boxes."""
    from mmdet.apis import init_detector

    from mmdet_shuffledefect.deployment import OnnxDetector
    cfg, ckpt, path, _ = exported
    model = init_detector(cfg, ckpt, device='cpu').eval()
    images = _steel_images(2, seed=7)
    dets, labels = OnnxDetector(path)(images)
    pre = model.data_preprocessor
    x = (torch.from_numpy(images).float()[:, [2, 1, 0]] - pre.mean) / pre.std
    with torch.no_grad():
        res = model.bbox_head.predict_by_feat(
            *model.bbox_head(model.extract_feat(x)),
            batch_img_metas=[dict(img_shape=(192, 192))] * 2)
    for r, d, l in zip(res, dets, labels):
        n = int((l >= 0).sum())
        assert n == len(r)
        np.testing.assert_allclose(d[:n, :4], r.bboxes.numpy(), atol=2e-3, rtol=0)
        assert (l[:n] == r.labels.numpy()).all()


def test_onnx_file_checked_against_config(exported, tmp_path):
    from mmdet_shuffledefect.deployment import OnnxDetector
    from mmdet_shuffledefect.utils.config_data import set_classes
    cfg, _, path, _ = exported
    model = OnnxDetector(path)
    model.check_config(cfg)  # its own config passes
    other = cfg.copy()
    set_classes(other, ['scale', 'hole'])
    with pytest.raises(ValueError, match=r'sdn_ssd.onnx does not match the config: classes'):
        model.check_config(other)
    other = cfg.copy()
    other.test_dataloader.dataset.pipeline[1].scale = (256, 256)
    with pytest.raises(ValueError, match=r'input size \(H, W\) \[192, 192\] in the file vs '
                       r'\[256, 256\]'):
        model.check_config(other)
    bare = tmp_path / 'bare.onnx'
    torch.onnx.export(torch.nn.Conv2d(3, 1, 1), (torch.rand(1, 3, 8, 8), ), str(bare),
                      dynamo=False)
    with pytest.raises(ValueError, match='bare.onnx has no classes, input_size'):
        OnnxDetector(str(bare))


def test_head_without_fast_path_is_refused_at_export(tmp_path):
    import os.path as osp

    from mmengine.config import Config

    from conftest import REPO
    from mmdet_shuffledefect.deployment import export_onnx
    cfg = Config.fromfile(osp.join(REPO, 'configs/swap_backbone/'
                                   'retinanet_sdn-1.0x_fpn_1x_neu-det.py'))
    with pytest.raises(ValueError, match='cannot export RetinaHead'):
        export_onnx(cfg, None, str(tmp_path / 'x.onnx'))
