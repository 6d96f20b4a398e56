"""Building blocks of ShuffleDefectNet: the two units (channel shuffle is mmpretrain's).

Not registered: the backbone builds them directly, so they never go through a
registry whose scope could differ between mmdet and mmpretrain configs.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmcv.cnn import ConvModule, build_activation_layer
from mmengine.model import BaseModule
from mmpretrain.models.utils import channel_shuffle

from mmdet.utils import ConfigType, OptConfigType


def round_up_to_multiple(value: int, divisor: int) -> int:
    """Round ``value`` up to the next multiple of ``divisor``.

    Unlike mmdet's and mmpretrain's ``make_divisible`` (nearest multiple, never
    below 90 %), this only ever rounds up, so a grouped stage never gets fewer
    channels than the architecture table asks for.

    Example:
        >>> round_up_to_multiple(116, 3), round_up_to_multiple(29, 8)
        (117, 32)
    """
    return -(-int(value) // divisor) * divisor


def _run(module: nn.Module, fn, x: torch.Tensor) -> torch.Tensor:
    """Run ``fn(x)``, through activation checkpointing if the unit asks."""
    if module.with_cp and torch.is_grad_enabled():
        # use_reentrant=False keeps gradients flowing to the segment's
        # parameters even when ``x`` does not require grad (frozen stem).
        return cp.checkpoint(fn, x, use_reentrant=False)
    return fn(x)


class ShuffleV2Unit(BaseModule):
    """The plain ShuffleNet V2 unit (channel split, concat, shuffle).

    Module names (``branch1``, ``branch2``) match mmpretrain's
    ``InvertedResidual`` so its ShuffleNetV2 weights load strictly.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (even).
        stride (int): 1 or 2. Defaults to 1.
        conv_cfg (dict, optional): Conv config. Defaults to None.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to ``dict(type='ReLU')``.
        with_cp (bool): Activation checkpointing. Defaults to False.
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> unit = ShuffleV2Unit(24, 116, stride=2)
        >>> unit(torch.rand(1, 24, 16, 16)).shape
        torch.Size([1, 116, 8, 8])
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 with_cp: bool = False,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg)
        if out_channels % 2:
            raise ValueError(f'ShuffleV2Unit needs even out_channels, got {out_channels}')
        if stride == 1 and in_channels != out_channels:
            raise ValueError('a stride-1 ShuffleV2Unit needs in_channels == '
                             f'out_channels, got {in_channels} and {out_channels}')
        self.stride = stride
        self.with_cp = with_cp
        half = out_channels // 2
        cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        if stride > 1:
            self.branch1 = nn.Sequential(
                ConvModule(in_channels, in_channels, 3, stride, 1,
                           groups=in_channels, act_cfg=None, **cfg),
                ConvModule(in_channels, half, 1, act_cfg=act_cfg, **cfg))
        self.branch2 = nn.Sequential(
            ConvModule(in_channels if stride > 1 else half, half, 1,
                       act_cfg=act_cfg, **cfg),
            ConvModule(half, half, 3, stride, 1, groups=half, act_cfg=None, **cfg),
            ConvModule(half, half, 1, act_cfg=act_cfg, **cfg))

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        else:
            c = x.shape[1] // 2
            out = torch.cat((x[:, :c], self.branch2(x[:, c:])), dim=1)
        return channel_shuffle(out, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _run(self, self._forward, x)


class ShuffleDefectUnit(BaseModule):
    """The ShuffleDefectNet unit: a residual bottleneck (paper Fig. 5 c/d).

    Residual branch: 1x1 pointwise conv (``groups`` groups, then a channel
    shuffle when ``groups > 1``) -> BN -> ReLU -> 3x3 depthwise conv (stride
    ``stride``) -> BN -> 1x1 dense pointwise conv -> BN. A stride-1 unit adds
    the input; a stride-2 unit concatenates a downsampled shortcut (3x3
    depthwise conv + BN for ``shortcut='dwconv'``, 3x3 average pooling for
    ``shortcut='avgpool'``). ReLU after the merge.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels. A stride-2 unit's branch makes
            ``out_channels - in_channels`` of them.
        mid_channels (int): Bottleneck width, a multiple of ``groups``.
        stride (int): 1 or 2. Defaults to 1.
        groups (int): Groups of the first pointwise conv. Defaults to 1.
        shortcut (str): ``'dwconv'`` or ``'avgpool'``. Defaults to 'dwconv'.
        conv_cfg (dict, optional): Conv config. Defaults to None.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to ``dict(type='ReLU')``.
        with_cp (bool): Activation checkpointing. Defaults to False.
        init_cfg (dict, optional): Initialization config. Defaults to None.

    Example:
        >>> unit = ShuffleDefectUnit(24, 116, mid_channels=29, stride=2)
        >>> unit(torch.rand(1, 24, 16, 16)).shape
        torch.Size([1, 116, 8, 8])
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 mid_channels: int,
                 stride: int = 1,
                 groups: int = 1,
                 shortcut: str = 'dwconv',
                 conv_cfg: OptConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 with_cp: bool = False,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg)
        if stride == 1 and in_channels != out_channels:
            raise ValueError('a stride-1 ShuffleDefectUnit needs in_channels == '
                             f'out_channels, got {in_channels} and {out_channels}')
        if stride > 1 and out_channels <= in_channels:
            raise ValueError('a stride-2 ShuffleDefectUnit needs out_channels > '
                             f'in_channels, got {in_channels} -> {out_channels}')
        if in_channels % groups or mid_channels % groups:
            raise ValueError(f'groups={groups} must divide in_channels '
                             f'({in_channels}) and mid_channels ({mid_channels})')
        self.stride = stride
        self.groups = groups
        self.with_cp = with_cp
        branch_out = out_channels - in_channels if stride > 1 else out_channels
        cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        self.pw1 = ConvModule(in_channels, mid_channels, 1, groups=groups,
                              act_cfg=act_cfg, **cfg)
        self.dw = ConvModule(mid_channels, mid_channels, 3, stride, 1,
                             groups=mid_channels, act_cfg=None, **cfg)
        self.pw2 = ConvModule(mid_channels, branch_out, 1, act_cfg=None, **cfg)
        self.shortcut: Optional[nn.Module] = None
        if stride > 1:
            if shortcut == 'dwconv':
                self.shortcut = ConvModule(in_channels, in_channels, 3, stride, 1,
                                           groups=in_channels, act_cfg=None, **cfg)
            else:
                self.shortcut = nn.AvgPool2d(3, stride, 1)
        self.act = build_activation_layer(act_cfg) if act_cfg else nn.Identity()

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.pw1(x)
        if self.groups > 1:
            out = channel_shuffle(out, self.groups)
        out = self.pw2(self.dw(out))
        if self.shortcut is None:
            out = out + x
        else:
            out = torch.cat((self.shortcut(x), out), dim=1)
        return self.act(out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _run(self, self._forward, x)
