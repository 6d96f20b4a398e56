"""Parameters and FLOPs of a config's model (detector or classifier), as mmengine
counts them: ``tools/analysis_tools/get_flops.py`` prints them and the comparison
tables of ``projects/shuffledefectnet_study/tools/compare_detectors.py`` quote them.

Example:
    >>> from mmdet_shuffledefect.utils.cli import load_config
    >>> info = model_complexity(load_config('configs/sdn_ssd_neu.py'))  # doctest: +SKIP
    >>> info['params_str'], info['flops_str'], info['shape']           # doctest: +SKIP
    ('0.878M', '0.106G', (192, 192))
"""
from typing import Optional, Sequence

import torch


def config_shape(cfg, shape: Optional[Sequence[int]] = None) -> tuple:
    """The input ``(H, W)``: ``shape`` (one value: square), else the config's
    ``input_size``, else 192.

    Raises:
        ValueError: not one or two sizes of at least 32 px.
    """
    sizes = list(shape) if shape else [int(cfg.get('input_size', 192))]
    if len(sizes) == 1:
        sizes = sizes * 2
    if len(sizes) != 2 or min(sizes) < 32:
        raise ValueError(f'--shape must be H W of at least 32 px, got {shape}')
    return tuple(sizes)


def model_complexity(cfg, shape: Optional[Sequence[int]] = None) -> dict:
    """Build ``cfg.model`` (random weights) and count its parameters and FLOPs for one
    ``1x3xHxW`` input in tensor mode (no post-processing).

    Args:
        cfg (mmengine.Config): A detector (mmdet scope) or classifier (mmpretrain) config.
        shape (list[int], optional): Input ``H W`` (see :func:`config_shape`).

    Returns:
        dict: ``params`` and ``flops`` (numbers), ``params_str`` and ``flops_str``
        (mmengine's rounding, e.g. ``'0.878M'``) and ``shape``.
    """
    from mmengine.analysis import get_model_complexity_info
    from mmengine.registry import DefaultScope
    height, width = config_shape(cfg, shape)
    scope = cfg.get('default_scope', 'mmdet')
    with DefaultScope.overwrite_default_scope(scope):
        if scope == 'mmpretrain':
            from mmpretrain.registry import MODELS
        else:
            from mmdet.registry import MODELS
        model = MODELS.build(cfg.model).eval()
    # Tensor mode, no data samples: mmdet detectors have ``_forward``, mmpretrain
    # classifiers default to mode='tensor'. Bind before replacing ``forward``.
    model.forward = getattr(model, '_forward', model.forward)
    info = get_model_complexity_info(model, inputs=(torch.rand(1, 3, height, width), ),
                                     show_table=False, show_arch=False)
    return dict(params=info['params'], flops=info['flops'], params_str=info['params_str'],
                flops_str=info['flops_str'], shape=(height, width))
