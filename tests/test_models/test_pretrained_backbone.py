"""Initialising ShuffleDefectNet from mmpretrain ShuffleNetV2 weights (#25 item 7): the tool
keeps the tensors that fit by name and shape, says what loaded, and ``init_cfg`` loads them.
The source checkpoint is written here with mmpretrain's own ShuffleNetV2 (no download)."""
import os.path as osp

import pytest
import torch

from conftest import run_tool


@pytest.fixture(scope='module')
def imagenet_like(tmp_path_factory):
    """An mmpretrain ImageClassifier-style checkpoint of mmpretrain's ShuffleNetV2 1.0x."""
    from mmpretrain.models.backbones import ShuffleNetV2
    torch.manual_seed(0)
    net = ShuffleNetV2(widen_factor=1.0)
    state = {'backbone.' + k: v for k, v in net.state_dict().items()}
    state['head.fc.weight'] = torch.zeros(1000, 1024)
    state['head.fc.bias'] = torch.zeros(1000)
    path = str(tmp_path_factory.mktemp('pre') / 'shufflenet_v2_imagenet.pth')
    torch.save({'state_dict': state, 'meta': {}}, path)
    return path, state


def test_v2_unit_loads_every_tensor_and_init_cfg_applies_them(imagenet_like, tmp_path):
    from mmdet_shuffledefect.models.backbones import ShuffleDefectNet
    src, state = imagenet_like
    out = str(tmp_path / 'sdn_v2.pth')
    proc = run_tool(['tools/model_converters/backbone_from_pretrained.py', src, out,
                     '--unit', 'v2'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    net = ShuffleDefectNet(unit='v2', out_indices=(0, 1, 2))
    n = len(net.state_dict())
    assert f'{n} of {n} backbone tensors loaded' in proc.stdout
    assert 'model.backbone.init_cfg.checkpoint=' + out in proc.stdout
    net = ShuffleDefectNet(unit='v2', out_indices=(0, 1, 2), init_cfg=dict(
        type='Pretrained', checkpoint=out, prefix='backbone.'))
    net.init_weights()
    for name, tensor in net.state_dict().items():
        assert torch.equal(tensor, state['backbone.' + name]), name


def test_bottleneck_unit_loads_the_stem_and_lists_the_rest(imagenet_like, tmp_path):
    from mmdet_shuffledefect.models.backbones import ShuffleDefectNet
    src, state = imagenet_like
    out = str(tmp_path / 'sdn.pth')
    proc = run_tool(['tools/model_converters/backbone_from_pretrained.py', src, out, '--list'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    saved = torch.load(out, weights_only=True)['state_dict']
    assert 'backbone.conv1.conv.weight' in saved  # the stem is shared
    torch.testing.assert_close(saved['backbone.conv1.conv.weight'],
                               state['backbone.conv1.conv.weight'])
    net = ShuffleDefectNet(out_indices=(0, 1, 2))
    for key, value in saved.items():  # only what fits by shape
        assert value.shape == net.state_dict()[key[len('backbone.'):]].shape
    assert 'not in the checkpoint: ' in proc.stdout or 'other shape: ' in proc.stdout
    assert f'of {len(net.state_dict())} backbone tensors loaded' in proc.stdout


def test_wrong_prefix_and_missing_file_are_named(imagenet_like, tmp_path):
    src, _ = imagenet_like
    proc = run_tool(['tools/model_converters/backbone_from_pretrained.py', src,
                     str(tmp_path / 'x.pth'), '--prefix', 'encoder.'])
    assert proc.returncode == 1 and "no tensor of the checkpoint starts with 'encoder.'" \
        in proc.stderr
    assert not osp.exists(tmp_path / 'x.pth')
    proc = run_tool(['tools/model_converters/backbone_from_pretrained.py', 'nope.pth',
                     str(tmp_path / 'x.pth')])
    assert proc.returncode == 2 and 'checkpoint nope.pth does not exist' in proc.stderr
