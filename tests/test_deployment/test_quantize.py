"""INT8 post-training quantization (#27 items 2 and 6): tools/deployment/quantize.py on the
published 40-epoch SSD with a synthetic data root: it runs, writes its metadata (precision,
calibration set, versions, val mAP before/after), the file runs in onnxruntime and OpenVINO
only when int8 is asked for, and a calibration split other than train is refused."""
import json
import os.path as osp

import numpy as np
import pytest

from conftest import CKPT_40E, RECIPE_40E, run_tool


@pytest.fixture(scope='module')
def fp32_onnx(tmp_path_factory):
    from mmengine.config import Config

    from conftest import REPO
    from mmdet_shuffledefect.deployment import export_onnx
    path = str(tmp_path_factory.mktemp('q') / 'sdn.onnx')
    export_onnx(Config.fromfile(osp.join(REPO, RECIPE_40E)), CKPT_40E, path)
    return path


@pytest.fixture(scope='module')
def int8_onnx(fp32_onnx, synth_det):
    out = osp.join(osp.dirname(fp32_onnx), 'sdn_int8.onnx')
    proc = run_tool(['tools/deployment/quantize.py', RECIPE_40E, fp32_onnx, out,
                     '--calib-images', '6', '--data-root', synth_det])
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-3000:]
    assert 'calibrating on 6 of ' in proc.stdout and 'val mAP@0.5: FP32 ' in proc.stdout
    assert 'INFO:nncf' not in proc.stdout + proc.stderr  # one line per node, silenced
    # each of mmdet's two evaluation tables is preceded by which model it is
    fp32_at = proc.stdout.index('val split, FP32 (the input model)')
    assert proc.stdout.index('val split, INT8 (the quantized model)') > fp32_at
    return out


def test_int8_file_has_its_metadata(int8_onnx):
    from mmdet_shuffledefect.deployment.openvino_detector import onnx_metadata
    meta = onnx_metadata(int8_onnx)
    assert meta['precision'] == 'int8' and json.loads(meta['int8_ops']) == ['Conv']
    calibration = json.loads(meta['calibration'])
    assert calibration['split'] == 'train' and calibration['images'] == 6
    assert 0.0 <= float(meta['val_map_fp32']) <= 1.0 and 0.0 <= float(meta['val_map_int8']) <= 1
    assert meta['nncf'] and meta['classes'] and meta['fp32_model'] == 'sdn.onnx'


def test_int8_runs_in_both_runtimes_only_when_asked(int8_onnx, fp32_onnx):
    import onnx

    from mmdet_shuffledefect.deployment import load_exported
    ops = {n.op_type for n in onnx.load(int8_onnx).graph.node}
    assert {'QuantizeLinear', 'DequantizeLinear', 'NonMaxSuppression'} <= ops
    images = np.random.default_rng(0).integers(0, 256, (2, 3, 192, 192), dtype=np.uint8)
    for backend in ('onnxruntime', 'openvino'):
        model = load_exported(int8_onnx, backend, precision='int8')
        assert model.precision == 'int8' and model.describe().endswith('precision int8')
        dets, labels = model(images)
        assert dets.shape == (2, 200, 5) and labels.shape == (2, 200)
        with pytest.raises(ValueError, match='is a int8 model, asked to run it as f32'):
            load_exported(int8_onnx, backend, precision='f32')
        with pytest.raises(ValueError, match='quantize it first'):
            load_exported(fp32_onnx, backend, precision='int8')


def test_calibration_outside_the_training_split_is_refused(fp32_onnx, synth_det, tmp_path):
    out = str(tmp_path / 'x_int8.onnx')
    proc = run_tool(['tools/deployment/quantize.py', RECIPE_40E, fp32_onnx, out,
                     '--calib-split', 'val', '--data-root', synth_det])
    assert proc.returncode == 2
    assert "calibration must use the training split only" in proc.stderr and "'val'" in \
        proc.stderr
    assert not osp.exists(out)


def test_keep_float_leaves_those_convolutions_unquantized(fp32_onnx, synth_det, tmp_path):
    import onnx

    from mmdet_shuffledefect.deployment.openvino_detector import onnx_metadata
    out = str(tmp_path / 'headfp_int8.onnx')
    proc = run_tool(['tools/deployment/quantize.py', RECIPE_40E, fp32_onnx, out, '--no-eval',
                     '--calib-images', '4', '--data-root', synth_det,
                     '--keep-float', '/bbox_head/.*'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    graph = onnx.load(out).graph
    dequantized = {o for n in graph.node if n.op_type == 'DequantizeLinear' for o in n.output}

    def quantized(conv):
        return any(i in dequantized for i in conv.input)

    convs = [n for n in graph.node if n.op_type == 'Conv']
    head = [c for c in convs if c.name.startswith('/bbox_head/')]
    assert head and not any(quantized(c) for c in head)
    assert any(quantized(c) for c in convs if c.name.startswith('/backbone/'))
    assert json.loads(onnx_metadata(out)['keep_float']) == ['/bbox_head/.*']
