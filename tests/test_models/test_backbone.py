"""ShuffleDefectNet backbone: shapes from the arch table, gradients, freezing, API."""
import copy

import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from mmdet_shuffledefect.models.backbones import ShuffleDefectNet
from mmdet_shuffledefect.models.layers import round_up_to_multiple

WIDTHS = sorted(ShuffleDefectNet.arch_settings)
SIZE = 64


def expected(widen, index, groups=1):
    arch = ShuffleDefectNet.arch_settings[widen]
    chans = [round_up_to_multiple(c, groups) for c in arch['stage_channels']]
    chans.append(arch['final_channels'][0])
    stride = (8, 16, 32, 32)[index]
    return chans[index], SIZE // stride


@pytest.mark.parametrize('widen', WIDTHS)
@pytest.mark.parametrize('unit', ['bottleneck', 'v2'])
@pytest.mark.parametrize('out_indices', [(0, 1, 2, 3), (0, 1, 2), (1, ), (3, ), (0, 2)])
def test_output_shapes_match_table_and_feature_info(widen, unit, out_indices):
    net = ShuffleDefectNet(widen_factor=widen, unit=unit, out_indices=out_indices).eval()
    with torch.no_grad():
        outs = net(torch.rand(2, 3, SIZE, SIZE))
    assert len(outs) == len(out_indices)
    for out, index, info in zip(outs, out_indices, net.feature_info):
        ch, hw = expected(widen, index)
        assert tuple(out.shape) == (2, ch, hw, hw)
        assert info['num_chs'] == out.shape[1]
        assert info['reduction'] == SIZE // out.shape[-1]
    assert net.out_channels == [o.shape[1] for o in outs]


@pytest.mark.parametrize('groups', [2, 3, 4, 8])
@pytest.mark.parametrize('widen', WIDTHS)
def test_every_width_builds_with_groups(widen, groups):
    net = ShuffleDefectNet(widen_factor=widen, groups=groups, out_indices=(0, 1, 2)).eval()
    with torch.no_grad():
        outs = net(torch.rand(1, 3, SIZE, SIZE))
    for i, out in enumerate(outs):
        ch, hw = expected(widen, i, groups)
        assert tuple(out.shape) == (1, ch, hw, hw)
        assert ch % groups == 0


def test_default_is_the_paper_unit():
    net = ShuffleDefectNet()
    unit = net.layers[0][0]
    assert type(unit).__name__ == 'ShuffleDefectUnit'
    assert unit.pw1.conv.groups == 1  # "1x1 GConv -> 1x1 Conv"
    assert unit.shortcut.conv.groups == unit.shortcut.conv.in_channels  # 3x3 DWConv
    assert unit.shortcut.conv.kernel_size == (3, 3) and unit.shortcut.conv.stride == (2, 2)


def test_avgpool_shortcut_ablation():
    net = ShuffleDefectNet(shortcut='avgpool')
    assert isinstance(net.layers[1][0].shortcut, torch.nn.AvgPool2d)


@pytest.mark.parametrize('unit', ['bottleneck', 'v2'])
def test_every_trainable_parameter_gets_a_gradient(unit):
    net = ShuffleDefectNet(widen_factor=0.5, unit=unit, out_indices=(0, 1, 2, 3))
    net.train()
    outs = net(torch.rand(2, 3, SIZE, SIZE))
    sum(o.square().mean() for o in outs).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None, name
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize('frozen', [0, 1, 2, 3])
def test_frozen_stages_freeze_exactly_those(frozen):
    net = ShuffleDefectNet(widen_factor=0.5, frozen_stages=frozen, out_indices=(3, ))
    net.train()
    frozen_prefixes = ['conv1.'] + [f'layers.{i}.' for i in range(frozen)]
    for name, p in net.named_parameters():
        is_frozen = any(name.startswith(pre) for pre in frozen_prefixes)
        assert p.requires_grad != is_frozen, name
    for name, m in net.named_modules():
        if isinstance(m, _BatchNorm):
            is_frozen = any((name + '.').startswith(pre) for pre in frozen_prefixes)
            assert m.training != is_frozen, name
    # running statistics of frozen BN do not move in a training forward
    before = {k: v.clone() for k, v in net.state_dict().items() if 'running_mean' in k}
    net(torch.rand(2, 3, SIZE, SIZE))
    after = net.state_dict()
    for k, v in before.items():
        moved = not torch.equal(v, after[k])
        assert moved != any(k.startswith(pre) for pre in frozen_prefixes), k


@pytest.mark.parametrize('norm', ['BN', 'SyncBN'])
def test_norm_eval_keeps_all_batchnorms_in_eval(norm):
    net = ShuffleDefectNet(widen_factor=0.5, norm_cfg=dict(type=norm), norm_eval=True)
    assert net.train() is net
    bns = [m for m in net.modules() if isinstance(m, _BatchNorm)]
    assert bns and all(not m.training for m in bns)
    before = copy.deepcopy(net.state_dict())
    net(torch.rand(2, 3, SIZE, SIZE))  # SyncBN runs without a process group
    for k, v in net.state_dict().items():
        if 'running' in k:
            assert torch.equal(v, before[k]), k


def test_norm_eval_covers_mmengine_batchnormxd():
    from mmengine.model import revert_sync_batchnorm
    net = revert_sync_batchnorm(
        ShuffleDefectNet(widen_factor=0.5, norm_cfg=dict(type='SyncBN'), norm_eval=True))
    kinds = {type(m).__name__ for m in net.modules() if isinstance(m, _BatchNorm)}
    assert kinds == {'_BatchNormXd'}
    net.train()
    assert all(not m.training for m in net.modules() if isinstance(m, _BatchNorm))


@pytest.mark.parametrize('frozen', [-1, 0])
@pytest.mark.parametrize('unit', ['bottleneck', 'v2'])
def test_with_cp_same_outputs_and_gradients(frozen, unit):
    torch.manual_seed(0)
    ref = ShuffleDefectNet(widen_factor=0.5, unit=unit, frozen_stages=frozen,
                           out_indices=(0, 1, 2, 3))
    cp = ShuffleDefectNet(widen_factor=0.5, unit=unit, frozen_stages=frozen,
                          out_indices=(0, 1, 2, 3), with_cp=True)
    cp.load_state_dict(ref.state_dict())
    x = torch.rand(2, 3, SIZE, SIZE)
    grads = []
    for net in (ref, cp):
        net.train()
        outs = net(x)
        sum(o.square().mean() for o in outs).backward()
        grads.append({n: p.grad.clone() for n, p in net.named_parameters() if p.requires_grad})
    for o1, o2 in zip(ref(x), cp(x)):
        torch.testing.assert_close(o1, o2)
    assert grads[0].keys() == grads[1].keys() and grads[0]
    for name in grads[0]:
        assert grads[1][name].abs().sum() > 0, name
        torch.testing.assert_close(grads[0][name], grads[1][name], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('kwargs, fragment', [
    (dict(widen_factor=0.75), '0.75'),
    (dict(unit='v3'), "'v3'"),
    (dict(shortcut='maxpool'), "'maxpool'"),
    (dict(groups=0), '0'),
    (dict(out_indices=(4, )), 'got 4'),
    (dict(out_indices=(3, ), with_final_conv=False), 'got 3'),
    (dict(frozen_stages=4), 'got 4'),
    (dict(stage_blocks=(4, 8)), '(4, 8)'),
    (dict(unit='v2', groups=2), 'groups=2'),
    (dict(bottleneck_ratio=0), 'got 0'),
    (dict(out_stem='yes'), "out_stem must be True or False, got 'yes'"),
])
def test_invalid_arguments_raise_value_error(kwargs, fragment):
    with pytest.raises(ValueError) as info:
        ShuffleDefectNet(**kwargs)
    assert fragment in str(info.value)


@pytest.mark.parametrize('widen', WIDTHS)
def test_out_stem_returns_the_stride_4_map_first(widen):
    net = ShuffleDefectNet(widen_factor=widen, out_indices=(0, 1, 2), out_stem=True).eval()
    plain = ShuffleDefectNet(widen_factor=widen, out_indices=(0, 1, 2)).eval()
    plain.load_state_dict(net.state_dict())  # the stem output adds no parameter
    x = torch.rand(2, 3, SIZE, SIZE)
    with torch.no_grad():
        outs, plain_outs = net(x), plain(x)
    assert tuple(outs[0].shape) == (2, 24, SIZE // 4, SIZE // 4)
    assert [(f['num_chs'], f['reduction']) for f in net.feature_info][0] == (24, 4)
    assert net.out_channels == [24] + plain.out_channels
    for out, ref in zip(outs[1:], plain_outs):
        torch.testing.assert_close(out, ref)


def test_stage_blocks_change_depth():
    net = ShuffleDefectNet(stage_blocks=(2, 3, 2))
    assert [len(net.layers[i]) for i in range(3)] == [2, 3, 2]


@pytest.mark.parametrize('widen', WIDTHS)
def test_mmpretrain_shufflenetv2_weights_load_strictly_into_v2(widen):
    from mmpretrain.models.backbones import ShuffleNetV2
    torch.manual_seed(1)
    theirs = ShuffleNetV2(widen_factor=widen, out_indices=(0, 1, 2, 3))
    with torch.no_grad():
        for m in theirs.modules():
            if isinstance(m, _BatchNorm):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    theirs.eval()  # (mmpretrain's train() returns None; eval() is not chained)
    ours = ShuffleDefectNet(widen_factor=widen, unit='v2', out_indices=(0, 1, 2, 3))
    ours.load_state_dict(theirs.state_dict(), strict=True)
    ours.eval()
    x = torch.rand(2, 3, SIZE, SIZE)
    with torch.no_grad():
        for a, b in zip(theirs(x), ours(x)):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_pretrained_init_cfg_with_prefix(tmp_path):
    src = ShuffleDefectNet(widen_factor=0.5)
    ckpt = tmp_path / 'det.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in src.state_dict().items()}},
               str(ckpt))
    import mmdet_shuffledefect  # noqa: F401  (safe loader for Pretrained)
    net = ShuffleDefectNet(widen_factor=0.5, init_cfg=dict(
        type='Pretrained', checkpoint=str(ckpt), prefix='backbone.'))
    net.init_weights()
    for k, v in src.state_dict().items():
        assert torch.equal(v, net.state_dict()[k]), k
