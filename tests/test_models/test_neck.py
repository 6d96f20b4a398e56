"""SDNFusionNeck: SSD and RetinaNet layouts, depthwise-separable convs, bad arguments."""
import pytest
import torch
from mmcv.cnn import DepthwiseSeparableConvModule

from mmdet_shuffledefect.models.backbones import ShuffleDefectNet
from mmdet_shuffledefect.models.necks import SDNFusionNeck


@pytest.mark.parametrize('size, num_outs, expected_sizes', [
    (192, 6, [24, 12, 6, 3, 2, 1]),   # SSD layout at the paper's input
    (320, 5, [40, 20, 10, 5, 3]),     # RetinaNet layout
])
def test_neck_layouts(size, num_outs, expected_sizes):
    backbone = ShuffleDefectNet(widen_factor=0.5, out_indices=(0, 1, 2)).eval()
    neck = SDNFusionNeck(backbone.out_channels, 64, num_outs=num_outs).eval()
    with torch.no_grad():
        outs = neck(backbone(torch.rand(1, 3, size, size)))
    assert [tuple(o.shape) for o in outs] == [(1, 64, s, s) for s in expected_sizes]


def test_every_3x3_conv_is_depthwise_separable():
    neck = SDNFusionNeck([48, 96, 192], 64, num_outs=6)
    for m in neck.modules():
        if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3):
            assert m.groups == m.in_channels
    assert sum(isinstance(m, DepthwiseSeparableConvModule) for m in neck.modules()) == 2 + 2 + 2 + 3


def test_top_down_path_reaches_finest_level():
    neck = SDNFusionNeck([8, 16, 32], 8, num_outs=3).eval()
    feats = [torch.zeros(1, 8, 8, 8), torch.zeros(1, 16, 4, 4), torch.rand(1, 32, 2, 2)]
    base = [torch.zeros(1, 8, 8, 8), torch.zeros(1, 16, 4, 4), torch.zeros(1, 32, 2, 2)]
    with torch.no_grad():
        assert not torch.equal(neck(feats)[0], neck(base)[0])


@pytest.mark.parametrize('kwargs, fragment', [
    (dict(in_channels=[], out_channels=8, num_outs=3), '[]'),
    (dict(in_channels=[8, -1], out_channels=8, num_outs=3), '[8, -1]'),
    (dict(in_channels=[8, 16], out_channels=0, num_outs=3), 'got 0'),
    (dict(in_channels=[8, 16, 32], out_channels=8, num_outs=2), 'got 2'),
    (dict(in_channels=[8], out_channels=8, num_outs=2, upsample_mode='area'), "'area'"),
])
def test_invalid_neck_arguments(kwargs, fragment):
    with pytest.raises(ValueError) as info:
        SDNFusionNeck(**kwargs)
    assert fragment in str(info.value)


def test_wrong_number_of_inputs():
    neck = SDNFusionNeck([8, 16], 8, num_outs=3)
    with pytest.raises(ValueError, match='expects 2 inputs, got 1'):
        neck([torch.rand(1, 8, 4, 4)])
