"""Multi-level fusion neck with depthwise-separable convs."""
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModule



@MODELS.register_module()
class SDNFusionNeck(BaseModule):
    """Fuse the backbone's levels top-down and bottom-up (PAFPN-style).

    The paper fuses "the multilevel features" and factorizes every conv
    except conv1 into depthwise + pointwise, "including the backbone and the
    predicting layers"; here every 3x3 conv is a depthwise-separable one.

    Data flow: a 1x1 lateral conv brings each input level to
    ``out_channels``; a top-down path adds the upsampled coarser level and
    smooths with a 3x3 DW-separable conv; a bottom-up path adds a stride-2
    DW-separable conv of the finer level and smooths again. Extra levels
    (``num_outs - len(in_channels)``) are stride-2 DW-separable convs on the
    previous output, so the same neck gives SSD six levels and RetinaNet
    five, all with ``out_channels`` channels.

    Args:
        in_channels (Sequence[int]): Channels of each input level (fine to
            coarse), e.g. ``backbone.out_channels``.
        out_channels (int): Channels of every output level.
        num_outs (int): Output levels, at least ``len(in_channels)``.
        conv_cfg (dict, optional): Conv config. Defaults to None.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to ``dict(type='ReLU')``.
        upsample_mode (str): ``F.interpolate`` mode. Defaults to 'nearest'.
        init_cfg (dict or list[dict], optional): Init config. Defaults to None.

    Example:
        >>> import torch
        >>> neck = SDNFusionNeck([116, 232, 464], 96, num_outs=6).eval()
        >>> feats = [torch.rand(1, c, s, s) for c, s in [(116, 24), (232, 12), (464, 6)]]
        >>> [tuple(o.shape[1:]) for o in neck(feats)]
        [(96, 24, 24), (96, 12, 12), (96, 6, 6), (96, 3, 3), (96, 2, 2), (96, 1, 1)]
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int,
                 num_outs: int,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 upsample_mode: str = 'nearest',
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        if (not isinstance(in_channels, (list, tuple)) or not in_channels
                or not all(isinstance(c, int) and c > 0 for c in in_channels)):
            raise ValueError('in_channels must be a non-empty list of positive ints, '
                             f'got {in_channels!r}')
        if not isinstance(out_channels, int) or out_channels <= 0:
            raise ValueError(f'out_channels must be a positive int, got {out_channels!r}')
        if not isinstance(num_outs, int) or num_outs < len(in_channels):
            raise ValueError(f'num_outs must be an int >= len(in_channels) '
                             f'({len(in_channels)}), got {num_outs!r}')
        if upsample_mode not in ('nearest', 'bilinear'):
            raise ValueError("upsample_mode must be 'nearest' or 'bilinear', "
                             f'got {upsample_mode!r}')
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.num_outs = num_outs
        self.upsample_mode = upsample_mode
        cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)

        def dwsep(stride: int = 1) -> nn.Module:
            return DepthwiseSeparableConvModule(
                out_channels, out_channels, 3, stride=stride, padding=1, **cfg)

        levels = len(in_channels)
        self.lateral_convs = nn.ModuleList(
            ConvModule(c, out_channels, 1, **cfg) for c in in_channels)
        self.top_down_convs = nn.ModuleList(dwsep() for _ in range(levels - 1))
        self.downsample_convs = nn.ModuleList(dwsep(2) for _ in range(levels - 1))
        self.bottom_up_convs = nn.ModuleList(dwsep() for _ in range(levels - 1))
        self.extra_convs = nn.ModuleList(dwsep(2) for _ in range(num_outs - levels))

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        """Fuse ``inputs`` (fine to coarse) into ``num_outs`` levels."""
        if len(inputs) != len(self.in_channels):
            raise ValueError(f'{type(self).__name__} expects {len(self.in_channels)} '
                             f'inputs, got {len(inputs)}')
        lat: List[torch.Tensor] = [conv(x) for conv, x in zip(self.lateral_convs, inputs)]
        # top-down: coarse -> fine
        for i in range(len(lat) - 1, 0, -1):
            up = F.interpolate(lat[i], size=lat[i - 1].shape[2:], mode=self.upsample_mode)
            lat[i - 1] = self.top_down_convs[i - 1](lat[i - 1] + up)
        # bottom-up: fine -> coarse
        outs = [lat[0]]
        for i in range(1, len(lat)):
            down = self.downsample_convs[i - 1](outs[-1])
            if down.shape[2:] != lat[i].shape[2:]:
                down = F.interpolate(down, size=lat[i].shape[2:], mode=self.upsample_mode)
            outs.append(self.bottom_up_convs[i - 1](lat[i] + down))
        for conv in self.extra_convs:
            outs.append(conv(outs[-1]))
        return tuple(outs)
