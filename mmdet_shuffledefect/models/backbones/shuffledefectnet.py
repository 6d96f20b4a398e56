"""ShuffleDefectNet backbone."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from mmdet_shuffledefect.models.layers.shuffle_units import (
    ShuffleDefectUnit, ShuffleV2Unit, round_up_to_multiple)


@MMDET_MODELS.register_module()
@MMPRETRAIN_MODELS.register_module()
class ShuffleDefectNet(BaseModule):
    """ShuffleDefectNet backbone.

    "Automatic Metallic Surface Defect Detection using ShuffleDefectNet"
    (J. of the Korea Society of Computer and Information 25(3), 2020).

    How each sentence of the paper maps to an argument:

    * "based on ShuffleNet V2 ... four different levels of complexities"
      (Table 1, lost in the text) -> ``widen_factor`` in {0.5, 1.0, 1.5, 2.0}
      with ShuffleNet V2's stage channels (:attr:`arch_settings`).
    * "a residual block ... 3x3 depthwise convolution on the bottleneck
      feature map" (Fig. 5 c/d) -> ``unit='bottleneck'`` (the default).
      The paper's text supports two readings (the V2 channel-split unit with
      changes, or a residual bottleneck); we take the residual bottleneck
      because the unit is explicitly called "a residual block" with a
      "bottleneck feature map", which the V2 unit has neither of.
      ``unit='v2'`` keeps the plain ShuffleNet V2 unit as the baseline.
    * "we change 1x1 GConv to 1x1 Conv" -> ``groups=1`` (default): the first
      pointwise conv is dense. ``groups>1`` restores ShuffleNet's group conv
      followed by a channel shuffle (ablation). With ``groups=1`` a channel
      shuffle would be the identity, so none is applied (open point 2).
    * "and 3x3 AVG Pool to 3x3 DWConv" -> ``shortcut='dwconv'`` (default):
      the stride-2 unit's shortcut is a 3x3 stride-2 depthwise conv + BN;
      ``shortcut='avgpool'`` is ShuffleNet V1's (ablation).
    * "replace the first 1x1 layer with pointwise group convolution" -> only
      the first pointwise conv of a unit is grouped; the second is dense.
    * "possible to apply ... by limiting the number of the blocks" ->
      ``stage_blocks`` (default 4/8/4 as ShuffleNet V2).
    * "in all convolutional layers ... except conv1" -> conv1 is the only
      plain 3x3 conv; every other 3x3 is depthwise.

    Bottleneck width (Table 1 lost): ``bottleneck_ratio`` x the unit's output
    channels (1/4, as ShuffleNet V1's bottleneck units). Rounding rule for
    ``groups > 1``: every channel count that the grouped conv touches is
    rounded *up* to a multiple of ``groups`` - the stage widths and the
    bottleneck widths - so every width builds with groups 2, 3, 4 and 8
    (e.g. 1.0x with groups=3 has stages 117/234/465). The stem's 24 channels
    are divisible by all of them.

    Args:
        widen_factor (float): Complexity level, one of 0.5, 1.0, 1.5, 2.0.
            Defaults to 1.0.
        unit (str): ``'bottleneck'`` (ShuffleDefectNet) or ``'v2'``
            (ShuffleNet V2 baseline). Defaults to 'bottleneck'.
        groups (int): Groups of the first pointwise conv of a bottleneck unit.
            Defaults to 1.
        shortcut (str): Stride-2 shortcut of the bottleneck unit,
            ``'dwconv'`` or ``'avgpool'``. Defaults to 'dwconv'.
        stage_blocks (Sequence[int]): Units per stage. Defaults to (4, 8, 4).
        bottleneck_ratio (float): Bottleneck width / unit output width.
            Defaults to 0.25.
        with_final_conv (bool, optional): Append the 1x1 conv after the last
            stage (output index 3). Defaults to None: built only when
            ``out_indices`` asks for it, so a detector using stages 0-2 has no
            parameter without a gradient (DDP refuses those). Set True to load
            mmpretrain ShuffleNetV2 weights strictly into ``unit='v2'``.
        out_indices (Sequence[int]): Outputs to return: 0-2 are the stages,
            3 the final conv. Defaults to (3, ).
        out_stem (bool): Also return the stem's map (after the max pool:
            stride 4, 24 channels) before the ``out_indices`` outputs, for a
            detector with a stride-4 level for fine textures. Defaults to
            False.
        frozen_stages (int): -1 freezes nothing, 0 the stem (conv1), ``i``
            the stem and stages ``0..i-1``. Defaults to -1.
        conv_cfg (dict, optional): Conv config. Defaults to None.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to ``dict(type='ReLU')``.
        norm_eval (bool): Keep every ``_BatchNorm`` (BN, SyncBN, mmengine's
            ``_BatchNormXd``) in eval mode while training. Defaults to False.
        with_cp (bool): Activation checkpointing per unit (non-reentrant).
            Defaults to False.
        init_cfg (dict or list[dict], optional): e.g.
            ``dict(type='Pretrained', checkpoint=..., prefix='backbone.')``.
            Defaults to None.

    Example:
        >>> import torch
        >>> net = ShuffleDefectNet(out_indices=(0, 1, 2, 3)).eval()
        >>> for out in net(torch.rand(1, 3, 192, 192)):
        ...     print(tuple(out.shape))
        (1, 116, 24, 24)
        (1, 232, 12, 12)
        (1, 464, 6, 6)
        (1, 1024, 6, 6)
        >>> [(f['num_chs'], f['reduction']) for f in net.feature_info]
        [(116, 8), (232, 16), (464, 32), (1024, 32)]
    """

    #: widen_factor -> stage output channels and final conv channels.
    arch_settings: Dict[float, Dict[str, Tuple[int, ...]]] = {
        0.5: dict(stage_channels=(48, 96, 192), final_channels=(1024, )),
        1.0: dict(stage_channels=(116, 232, 464), final_channels=(1024, )),
        1.5: dict(stage_channels=(176, 352, 704), final_channels=(1024, )),
        2.0: dict(stage_channels=(244, 488, 976), final_channels=(2048, )),
    }
    units = ('bottleneck', 'v2')
    shortcuts = ('dwconv', 'avgpool')
    stem_channels = 24

    def __init__(self,
                 widen_factor: float = 1.0,
                 unit: str = 'bottleneck',
                 groups: int = 1,
                 shortcut: str = 'dwconv',
                 stage_blocks: Sequence[int] = (4, 8, 4),
                 bottleneck_ratio: float = 0.25,
                 with_final_conv: Optional[bool] = None,
                 out_indices: Sequence[int] = (3, ),
                 out_stem: bool = False,
                 frozen_stages: int = -1,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        out_indices, with_final_conv = self._check_args(
            widen_factor, unit, shortcut, groups, stage_blocks, bottleneck_ratio,
            with_final_conv, out_indices, frozen_stages)
        num_outputs = 4 if with_final_conv else 3

        self.widen_factor = widen_factor
        self.unit = unit
        self.groups = groups
        self.out_indices = tuple(out_indices)
        if not isinstance(out_stem, bool):
            raise ValueError(f'out_stem must be True or False, got {out_stem!r}')
        self.out_stem = out_stem
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        arch = self.arch_settings[widen_factor]
        stage_channels = [round_up_to_multiple(c, groups) for c in arch['stage_channels']]
        cfg = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)

        self.conv1 = ConvModule(3, self.stem_channels, 3, stride=2, padding=1, **cfg)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layers = nn.ModuleList()
        channels = [self.stem_channels]
        in_ch = self.stem_channels
        for out_ch, blocks in zip(stage_channels, stage_blocks):
            self.layers.append(self._make_stage(unit, in_ch, out_ch, blocks, groups,
                                                shortcut, bottleneck_ratio, with_cp, cfg))
            in_ch = out_ch
            channels.append(out_ch)
        if with_final_conv:
            final = arch['final_channels'][0]
            self.layers.append(ConvModule(in_ch, final, 1, **cfg))
            channels.append(final)
        strides = (8, 16, 32, 32)
        #: Channels and stride of every output index (timm's feature_info).
        self.arch_outputs = [
            dict(num_chs=channels[i + 1], reduction=strides[i], module=f'layers.{i}')
            for i in range(num_outputs)
        ]
        stem_info = dict(num_chs=self.stem_channels, reduction=4, module='maxpool')
        self.feature_info = ([stem_info] if self.out_stem else []) + [
            self.arch_outputs[i] for i in self.out_indices]
        self._freeze_stages()

    @classmethod
    def _check_args(cls, widen_factor, unit, shortcut, groups, stage_blocks, bottleneck_ratio,
                    with_final_conv, out_indices, frozen_stages) -> tuple:
        """Refuse bad arguments by name; return ``(out_indices, with_final_conv)`` resolved
        (an int index as a tuple, ``with_final_conv`` None -> whether index 3 is asked)."""
        if widen_factor not in cls.arch_settings:
            raise ValueError(f'widen_factor must be one of {sorted(cls.arch_settings)}, '
                             f'got {widen_factor!r}')
        if unit not in cls.units:
            raise ValueError(f'unit must be one of {cls.units}, got {unit!r}')
        if shortcut not in cls.shortcuts:
            raise ValueError(f'shortcut must be one of {cls.shortcuts}, got {shortcut!r}')
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f'groups must be a positive int, got {groups!r}')
        if unit == 'v2' and (groups != 1 or shortcut != 'dwconv'):
            raise ValueError("groups and shortcut apply to unit='bottleneck' only, "
                             f"got unit='v2' with groups={groups}, shortcut={shortcut!r}")
        if (len(stage_blocks) != 3
                or not all(isinstance(b, int) and b >= 1 for b in stage_blocks)):
            raise ValueError('stage_blocks must be three positive ints, '
                             f'got {stage_blocks!r}')
        if not 0 < bottleneck_ratio <= 1:
            raise ValueError(f'bottleneck_ratio must be in (0, 1], got {bottleneck_ratio!r}')
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        if with_final_conv is None:
            with_final_conv = 3 in tuple(out_indices or ())
        num_outputs = 4 if with_final_conv else 3
        if not out_indices:
            raise ValueError(f'out_indices must not be empty, got {out_indices!r}')
        for index in out_indices:
            if index not in range(num_outputs):
                raise ValueError(f'out_indices entries must be in range(0, {num_outputs}) '
                                 f'(with_final_conv={with_final_conv}), got {index!r}')
        if frozen_stages not in range(-1, 4):
            raise ValueError(f'frozen_stages must be in range(-1, 4), got {frozen_stages!r}')
        return tuple(out_indices), with_final_conv

    @staticmethod
    def _make_stage(unit: str, in_ch: int, out_ch: int, blocks: int, groups: int,
                    shortcut: str, bottleneck_ratio: float, with_cp: bool,
                    cfg: dict) -> nn.Sequential:
        """One stage: ``blocks`` units, the first with stride 2."""
        mid = round_up_to_multiple(max(1, round(out_ch * bottleneck_ratio)), groups)
        build = {
            'v2': lambda cin, stride: ShuffleV2Unit(cin, out_ch, stride, with_cp=with_cp, **cfg),
            'bottleneck': lambda cin, stride: ShuffleDefectUnit(
                cin, out_ch, mid, stride, groups=groups, shortcut=shortcut, with_cp=with_cp,
                **cfg),
        }[unit]
        return nn.Sequential(*[build(in_ch if i == 0 else out_ch, 2 if i == 0 else 1)
                               for i in range(blocks)])

    @property
    def out_channels(self) -> List[int]:
        """Channels of each returned output, in order."""
        return [f['num_chs'] for f in self.feature_info]

    def _freeze_stages(self) -> None:
        frozen = []
        if self.frozen_stages >= 0:
            frozen.append(self.conv1)
        frozen += [self.layers[i] for i in range(self.frozen_stages)]
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Return the feature maps selected by ``out_indices``."""
        x = self.maxpool(self.conv1(x))
        outs = [x] if self.out_stem else []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i in self.out_indices:
                outs.append(x)
            if i >= max(self.out_indices):
                break
        return tuple(outs)

    def train(self, mode: bool = True) -> 'ShuffleDefectNet':
        """Set train mode, keeping frozen stages and (``norm_eval``) BN in eval."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
