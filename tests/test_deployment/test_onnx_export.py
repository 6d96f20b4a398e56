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


def _pytorch_detections(model, images):
    """The model's own batched predict_by_feat on uint8 BGR ``images`` at 192 px."""
    pre = model.data_preprocessor
    x = (torch.from_numpy(images).float()[:, [2, 1, 0]] - pre.mean) / pre.std
    with torch.no_grad():
        return model.bbox_head.predict_by_feat(
            *model.bbox_head(model.extract_feat(x)),
            batch_img_metas=[dict(img_shape=(192, 192))] * len(images))


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
    res = _pytorch_detections(model, images)
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


def test_rtmdet_detector_exports_and_matches_its_fast_head(tmp_path):
    """The anchor-free RTMDet head (points, distance decoding, clipping, NMS) exported
    whole: onnxruntime gives the detections of the model's own batched predict_by_feat.

    The head's weights are drawn so that a few dozen locations per image pass the score
    threshold with spread-out scores: where ``nms_pre`` or ``max_per_img`` cut inside
    scores that agree to 1e-6 (an untrained head scores hundreds of locations alike), the
    1e-6 differences between onnxruntime's and PyTorch's convolutions pick different
    members of the tie, and NMS carries that on to other boxes."""
    import os.path as osp

    import mmdet_shuffledefect  # noqa: F401
    from mmdet.apis import init_detector
    from mmengine.config import Config

    from conftest import REPO
    from mmdet_shuffledefect.deployment import OnnxDetector, export_onnx
    from mmdet_shuffledefect.deployment.compare import compare_best_untied
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'rtmdet_sdn-1.0x_fusion_neu-det.py'))
    torch.manual_seed(0)
    model = init_detector(cfg, None, device='cpu').eval()
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.bbox_head.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
            if name.startswith('rtm_reg') and name.endswith('bias'):
                p.fill_(3.0)  # boxes of a few strides, as trained
            elif name.startswith('rtm_cls'):
                p.mul_(3.0) if name.endswith('weight') else p.fill_(-8.0)
    ckpt = str(tmp_path / 'rtmdet.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    path = str(tmp_path / 'rtmdet.onnx')
    export_onnx(cfg, ckpt, path, config_name='sdn_rtmdet_neu.py')
    images = np.random.default_rng(0).integers(0, 256, (2, 3, 192, 192), dtype=np.uint8)
    dets, labels = OnnxDetector(path)(images)
    res = _pytorch_detections(model, images)
    for r, d, l in zip(res, dets, labels):
        assert 10 < len(r) < 200  # detections to compare, max_per_img not binding
        n = int((l >= 0).sum())
        # each of PyTorch's twenty best untied detections is in the export's (same label,
        # box within 2e-3 px, score within 2e-5): an untrained head scores many locations
        # alike, and the runtimes' 1e-7 differences may keep another member of such a tie
        # through NMS (seen with onnxruntime 1.32), which moves the ranks below it
        assert abs(n - len(r)) <= 2, (n, len(r))
        result = compare_best_untied(d[:n, :4], d[:n, 4], l[:n], r.bboxes.numpy(),
                                     r.scores.numpy(), r.labels.numpy(), best=20)
        assert result['same'], result['message']
        assert (d[n:] == 0).all()  # padding


def test_openvino_f32_gives_onnxruntimes_detections(exported):
    """The same exported file in OpenVINO at f32: the detections of onnxruntime
    (boxes within 1e-3 px, scores within 1e-4), and it says it ran f32."""
    from mmdet_shuffledefect.deployment import OnnxDetector, OpenVINODetector
    from mmdet_shuffledefect.deployment.compare import compare_detections
    _, _, path, _ = exported
    ov_model = OpenVINODetector(path, threads=2, precision='f32')
    assert ov_model.precision == 'f32' and ov_model.describe().startswith('openvino ')
    assert ov_model.classes == OnnxDetector(path).classes
    images = _steel_images(4, seed=11)
    want_dets, want_labels = OnnxDetector(path, threads=2)(images)
    got_dets, got_labels = ov_model(images)
    assert got_dets.shape == want_dets.shape and (want_labels >= 0).sum() > 4
    for gd, gl, wd, wl in zip(got_dets, got_labels, want_dets, want_labels):
        n, m = int((gl >= 0).sum()), int((wl >= 0).sum())
        result = compare_detections(gd[:n, :4], gd[:n, 4], gl[:n], wd[:m, :4], wd[:m, 4],
                                    wl[:m], score_atol=1e-4, box_atol=1e-3,
                                    max_per_img=gd.shape[0])
        assert result['same'], result['message']


def test_openvino_bf16_is_asked_for_and_said(exported):
    """bf16 runs only when asked and says so; where the CPU lacks bf16 it is refused."""
    import openvino as ov

    from mmdet_shuffledefect.deployment import OpenVINODetector
    _, _, path, _ = exported
    if 'BF16' not in ov.Core().get_property('CPU', 'OPTIMIZATION_CAPABILITIES'):
        with pytest.raises(ValueError, match='this CPU has no bf16 support'):
            OpenVINODetector(path, precision='bf16')
        return
    model = OpenVINODetector(path, threads=2, precision='bf16')
    assert model.precision == 'bf16' and model.describe().endswith('precision bf16')
    dets, labels = model(_steel_images(2, seed=11))
    assert dets.shape == (2, 200, 5) and (labels >= 0).sum() > 0


def test_exported_backend_errors_name_the_problem(exported, monkeypatch):
    import sys

    from mmdet_shuffledefect.deployment import load_exported
    _, _, path, _ = exported
    with pytest.raises(ValueError, match=r"onnxruntime runs precision f32 \(or an INT8 file\) only, got 'bf16'"):
        load_exported(path, 'onnxruntime', precision='bf16')
    with pytest.raises(ValueError, match="precision must be one of"):
        load_exported(path, 'openvino', precision='int4')
    with pytest.raises(ValueError, match="backend must be one of"):
        load_exported(path, 'tensorrt')
    monkeypatch.setitem(sys.modules, 'openvino', None)  # as if not installed
    with pytest.raises(ImportError, match='needs the openvino package'):
        load_exported(path, 'openvino')


def test_test_tool_with_openvino_says_the_precision(exported, synth_det, tmp_path):
    """tools/test.py --backend openvino: the metrics beside the precision that ran, in
    the terminal and the work dir; bf16 on onnxruntime is a usage error."""
    from conftest import RECIPE_40E, run_tool
    _, _, path, _ = exported
    opts = ['--data-root', synth_det, '--work-dir', str(tmp_path)]
    proc = run_tool(['tools/test.py', RECIPE_40E, path, '--backend', 'openvino'] + opts)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'openvino (precision f32) pascal_voc/mAP: ' in proc.stdout
    record = json.loads((tmp_path / 'openvino_f32_metrics.json').read_text())
    assert record['precision'] == 'f32' and 'pascal_voc/mAP' in record['metrics']
    proc = run_tool(['tools/test.py', RECIPE_40E, path, '--precision', 'bf16'] + opts)
    assert proc.returncode == 2
    assert '--precision bf16 needs --backend openvino' in proc.stderr
