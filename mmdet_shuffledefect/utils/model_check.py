"""Check that a built detector's parts fit together before it trains or predicts.

A config can pair parts that run without an error and still give a wrong answer:
mmdet's FPN with its default ``start_level=1`` after a three-level backbone
outputs strides 16-256 while the head lays its priors at 8-128, so every box is
predicted from the wrong feature cells and nothing fails. :func:`check_detector`
runs the backbone and neck once on a dummy image of the config's input size and
compares what comes out with what the next part expects:

* the neck's ``in_channels`` with the channels the backbone outputs (with the
  backbone's advertised ``out_channels`` where it has them, e.g. ShuffleDefectNet);
* the size of each of the neck's levels with the size the head's prior generator
  (anchors or points) assumes for its stride (``ceil(H / stride)`` by ``ceil(W / stride)``
  cells), level by level, height and width;
* the head's ``num_classes`` with the classes of the config's datasets.

The tools run it on every detector that uses a part of this package (backbone,
neck or head) when they build the Runner or the inference model.

Example:
    >>> from mmengine.config import Config
    >>> from mmdet.registry import MODELS
    >>> from mmengine.registry import init_default_scope
    >>> import mmdet_shuffledefect  # noqa: F401
    >>> init_default_scope('mmdet')
    >>> cfg = Config.fromfile('configs/sdn_ssd_neu.py')
    >>> check_detector(MODELS.build(cfg.model), cfg)  # fits: no error
"""
import math
from typing import List, Optional, Tuple

import torch
import torch.nn as nn

from .config_data import config_classes
from .input_size import config_input_size


class ModelConsistencyError(ValueError):
    """Parts of a detector that do not fit together (channels, strides, classes)."""


def uses_this_package(model: nn.Module) -> bool:
    """Whether the backbone, neck or head is one of this package's modules."""
    return any(type(getattr(model, part, None)).__module__.startswith('mmdet_shuffledefect')
               for part in ('backbone', 'neck', 'bbox_head'))


def _prior_strides(head) -> Optional[List[Tuple[float, float]]]:
    """(stride_w, stride_h) of each level of the head's prior generator."""
    generator = getattr(head, 'prior_generator', None) or getattr(head, 'anchor_generator', None)
    strides = getattr(generator, 'strides', None)
    if strides is None:
        return None
    # kept as floats: input-scaled SSD anchors have strides such as 320 / 3 = 106.67
    return [(float(s[0]), float(s[1])) if isinstance(s, (tuple, list)) else (float(s), float(s))
            for s in strides]


def _cells(side: int, stride: float) -> int:
    # a level of stride s has ceil(side / s) cells (convs round up), e.g. 2 for s=128 at 192 px
    return math.ceil(side / stride - 1e-6)


def _cells_text(sizes: List[Tuple[int, int]], square: bool) -> list:
    """One number per level for square inputs, else ``'HxW'``."""
    return [h for h, _ in sizes] if square else [f'{h}x{w}' for h, w in sizes]


def _fmt_stride(s: float):
    return round(s, 2) if s % 1 else int(s)


def check_detector(model: nn.Module, cfg, input_size: Optional[tuple] = None) -> None:
    """Raise :class:`ModelConsistencyError` naming both numbers when parts do not fit.

    Args:
        model (nn.Module): A built mmdet single-stage detector.
        cfg (Config): Its config (for the input size and the dataset classes).
        input_size (tuple, optional): (H, W) of the dummy image. Defaults to the
            config's test ``Resize``.
    """
    backbone, neck, head = (getattr(model, k, None) for k in ('backbone', 'neck', 'bbox_head'))
    if backbone is None:
        return
    height, width = input_size or config_input_size(cfg)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            device = next(backbone.parameters()).device
            feats = backbone(torch.zeros(1, 3, height, width, device=device))
            channels = [int(f.shape[1]) for f in feats]
            advertised = getattr(backbone, 'out_channels', None)
            if isinstance(advertised, (list, tuple)) and list(advertised) != channels:
                raise ModelConsistencyError(
                    f'{type(backbone).__name__} advertises out_channels {list(advertised)} '
                    f'but outputs {channels}')
            expected = getattr(neck, 'in_channels', None)
            if neck is not None and expected is not None:
                expected = list(expected) if isinstance(expected, (list, tuple)) else [expected]
                if expected != channels:
                    raise ModelConsistencyError(
                        f'neck {type(neck).__name__} has in_channels {expected} but the '
                        f'backbone {type(backbone).__name__} outputs {channels} channels; set '
                        f'neck.in_channels={channels} (the backbone\'s out_channels)')
                feats = neck(feats)
            sizes = [(int(f.shape[2]), int(f.shape[3])) for f in feats]
    except ModelConsistencyError:
        raise
    except RuntimeError as err:  # a channel mismatch deeper inside
        raise ModelConsistencyError(
            f'the backbone and neck do not run on a {height}x{width} image: {err}') from None
    finally:
        model.train(was_training)
    priors = _prior_strides(head) if head is not None else None
    expected = ([(_cells(height, sh), _cells(width, sw)) for sw, sh in priors]
                if priors is not None else None)
    if priors is not None and expected != sizes:
        square = height == width and all(sw == sh for sw, sh in priors)
        strides = [round(height / h) if square else f'{round(height / h)}x{round(width / w)}'
                   for h, w in sizes]
        prior_strides = [_fmt_stride(sh) if square else f'{_fmt_stride(sh)}x{_fmt_stride(sw)}'
                         for sw, sh in priors]
        hint = ''
        if getattr(neck, 'start_level', 0):
            hint = (f'; the neck starts at level {neck.start_level} of the backbone: for '
                    'ShuffleDefectNet with out_indices=(0, 1, 2) give the neck start_level=0')
        raise ModelConsistencyError(
            f'the neck outputs {len(sizes)} levels of {_cells_text(sizes, square)} cells (strides about '
            f'{strides}) on a {height}x{width} image, but the head {type(head).__name__} lays '
            f'its priors at strides {prior_strides} ({_cells_text(expected, square)} cells){hint}')
    classes = config_classes(cfg)
    num_classes = getattr(head, 'num_classes', None)
    if classes and num_classes is not None and num_classes != len(classes):
        raise ModelConsistencyError(
            f'the head has num_classes={num_classes} but the config\'s datasets have '
            f'{len(classes)} classes {list(classes)}; set num_classes={len(classes)}')


def check_if_ours(model: nn.Module, cfg) -> None:
    """:func:`check_detector` for a detector that uses a part of this package."""
    if hasattr(model, 'module'):  # DistributedDataParallel
        model = model.module
    if cfg.get('default_scope', 'mmdet') == 'mmdet' and uses_this_package(model):
        check_detector(model, cfg)
