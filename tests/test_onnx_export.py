"""The backbone exports to ONNX and onnxruntime reproduces its outputs."""
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
