"""Input size as a one-line lever: every size a config derives from its input size, set at once.

A config computes its pipelines' sizes from ``input_size`` when the file is read, so a
derived config (or ``--cfg-options input_size=320``) that changes the variable reaches
nothing. :func:`set_input_size` changes the config itself, as ``--input-size`` of
``tools/train.py`` and ``tools/test.py`` does: every pipeline of the train/val/test
datasets (through dataset wrappers) and of a ``PipelineSwitchHook``, scaled by
``new / old`` where the transform's size follows the input (:data:`SIZE_KEYS`), the
``input_size`` of the model's SSD anchors (:class:`InputScaledSSDAnchorGenerator`
derives strides and anchor sizes from it) and the config's own ``input_size``.
Strides and point priors of the other heads follow the feature maps by themselves.

Example:
    >>> from mmengine.config import Config
    >>> cfg = Config(dict(input_size=192, test_dataloader=dict(dataset=dict(pipeline=[
    ...     dict(type='Resize', scale=(192, 192), keep_ratio=False)]))))
    >>> set_input_size(cfg, 320)
    ['test_dataloader Resize.scale (192, 192) -> (320, 320)', 'input_size 192 -> 320']
"""
from typing import Iterator, List, Tuple

from mmengine.config import Config

from .config_data import dicts_with_key, loader_datasets

#: transform type -> keys whose (w, h) sizes follow the input size
SIZE_KEYS = {
    'Resize': ('scale', ),
    'RandomResize': ('scale', ),
    'RandomCrop': ('crop_size', ),
    'Pad': ('size', ),
    'Mosaic': ('img_scale', ),
    'CachedMosaic': ('img_scale', ),
    'MixUp': ('img_scale', ),
    'CachedMixUp': ('img_scale', ),
}


def resize_wh(step: dict) -> Tuple[int, int]:
    """(width, height) of a ``Resize`` step's ``scale`` (an int is a square).

    Example:
        >>> resize_wh(dict(type='Resize', scale=192)), resize_wh(dict(scale=(320, 256)))
        ((192, 192), (320, 256))
    """
    scale = step.get('scale')
    if isinstance(scale, int):
        return scale, scale
    if isinstance(scale, (tuple, list)) and len(scale) == 2:
        return int(scale[0]), int(scale[1])
    raise ValueError(f'the {step.get("type", "Resize")} step has scale={scale!r}; expected '
                     'an int or a (width, height) pair')


def square_side(width: int, height: int, what: str, needs: str) -> int:
    """The side of a square ``width`` x ``height`` size; ``ValueError`` naming ``what`` and
    who ``needs`` a square otherwise.

    Example:
        >>> square_side(192, 192, 'the test Resize step', 'TTA')
        192
    """
    if width != height:
        raise ValueError(f'{what} resizes to {width}x{height}; {needs} needs a square size')
    return width


def _pipelines(cfg: Config) -> Iterator[Tuple[str, list]]:
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        for dataset in loader_datasets(cfg.get(key)):
            if isinstance(dataset.get('pipeline'), list):
                yield key, dataset['pipeline']
    for hook in cfg.get('custom_hooks') or []:
        if isinstance(hook.get('switch_pipeline'), list):
            yield hook['type'], hook['switch_pipeline']


def _anchor_generators(cfg: Config) -> Iterator[dict]:
    for holder in dicts_with_key(cfg.get('model'), 'anchor_generator'):
        if isinstance(holder['anchor_generator'], dict):
            yield holder['anchor_generator']


def config_input_size(cfg) -> Tuple[int, int]:
    """(H, W) the test pipeline resizes to (its ``Resize`` step), else ``input_size``.

    Example:
        >>> config_input_size(Config(dict(test_dataloader=dict(dataset=dict(pipeline=[
        ...     dict(type='Resize', scale=(320, 256), keep_ratio=False)])))))
        (256, 320)
    """
    pipeline = (cfg.get('test_dataloader') or {}).get('dataset', {}).get('pipeline') or []
    for step in pipeline:
        if step.get('type') == 'Resize' and 'scale' in step:
            w, h = resize_wh(step)
            return h, w
    size = int(cfg.get('input_size', 192))
    return size, size


def _test_size(cfg: Config) -> int:
    height, width = config_input_size(cfg)
    return square_side(width, height, 'the config', '--input-size')


def set_input_size(cfg: Config, size: int) -> List[str]:
    """Set the config's input size to ``size`` x ``size`` (see the module).

    Args:
        cfg (Config): A detector config whose test pipeline resizes to a square.
        size (int): The new input side in pixels.

    Returns:
        list[str]: What changed, one line each.

    Raises:
        ValueError: ``size`` below 32, a non-square input, or SSD anchors written out in
            pixels (``SSDAnchorGenerator`` with strides), which cannot follow.
    """
    if size < 32:
        raise ValueError(f'input size must be >= 32 px, got {size}')
    old = _test_size(cfg)
    for generator in _anchor_generators(cfg):
        if generator.get('type') == 'SSDAnchorGenerator':
            raise ValueError('the SSD anchors are written out in pixels for one input size '
                             '(SSDAnchorGenerator with strides); use '
                             "type='InputScaledSSDAnchorGenerator' (strides and sizes follow "
                             'input_size)')
    changes, seen = [], set()
    for where, pipeline in _pipelines(cfg):
        for step in pipeline:
            if id(step) in seen:  # a transform two pipelines share is scaled once
                continue
            seen.add(id(step))
            for key in SIZE_KEYS.get(step.get('type'), ()):
                if key not in step or step[key] is None:
                    continue
                before = tuple(step[key]) if isinstance(step[key], (list, tuple)) else (
                    step[key], step[key])
                after = tuple(round(v * size / old) for v in before)
                step[key] = after
                changes.append(f"{where} {step['type']}.{key} {before} -> {after}")
    for generator in _anchor_generators(cfg):
        if 'input_size' in generator:
            changes.append(f"model {generator['type']}.input_size {generator['input_size']} "
                           f'-> {size}')
            generator['input_size'] = size
    if 'input_size' in cfg:
        changes.append(f"input_size {cfg['input_size']} -> {size}")
        cfg['input_size'] = size
    return changes


__all__ = ['SIZE_KEYS', 'resize_wh', 'set_input_size', 'square_side']
