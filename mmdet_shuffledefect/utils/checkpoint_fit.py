"""Refuse a checkpoint whose tensors do not fit the model it is loaded into.

mmengine loads checkpoints with ``strict=False`` and only *warns* about tensors
of another shape (``size mismatch for bbox_head...``): a 7-class checkpoint then
runs in a 6-class config with half-random heads and a near-zero mAP, and the
tool exits 0. The tools that predict with trained weights (test, export,
benchmark, demo, publish, inspection and :func:`init_inspection_model`) switch
on :func:`strict_loading`, which checks every ``load_state_dict`` of mmengine
(so ``init_detector``, ``load_checkpoint`` and the Runner's ``load_from``) before
it runs: a shape mismatch, a missing or an unexpected tensor raises
:class:`CheckpointMismatchError` naming the first such tensor, both shapes and
the likely cause. Training is not affected (fine-tuning from a checkpoint of
another class count is a partial load on purpose); ``--partial-load`` on the
tools turns the check off.

Example:
    >>> import torch.nn as nn
    >>> head = nn.Linear(4, 7)
    >>> state = nn.Linear(4, 6).state_dict()
    >>> first_mismatch(head, state)
    ('weight', (6, 4), (7, 4))
"""
import contextlib
import re
from typing import Dict, Iterator, List, Optional, Tuple

import torch.nn as nn

_STATE: Dict[str, object] = {'enabled': False, 'source': None, 'original': None}
_IGNORED = re.compile(r'num_batches_tracked$')


class CheckpointMismatchError(ValueError):
    """A checkpoint's tensors do not fit the model (shape, missing or unexpected)."""


def _shape(value) -> Optional[Tuple[int, ...]]:
    shape = getattr(value, 'shape', None)
    return tuple(shape) if shape is not None else None


def first_mismatch(module: nn.Module, state_dict: dict
                   ) -> Optional[Tuple[str, Optional[tuple], Optional[tuple]]]:
    """``(name, checkpoint shape, model shape)`` of the first tensor that does not fit
    (``None`` for a side that lacks it), or ``None`` when all fit."""
    own = {k: _shape(v) for k, v in module.state_dict().items() if not _IGNORED.search(k)}
    theirs = {k: _shape(v) for k, v in state_dict.items() if not _IGNORED.search(k)}
    for name, shape in theirs.items():
        if name in own and own[name] != shape:
            return name, shape, own[name]
    for name in own:
        if name not in theirs:
            return name, None, own[name]
    for name in theirs:
        if name not in own:
            return name, theirs[name], None
    return None


def likely_cause(name: str, ckpt_shape: Optional[tuple], model_shape: Optional[tuple]) -> str:
    """A sentence on what usually makes ``name`` not fit."""
    if ckpt_shape is None or model_shape is None:
        return ('the checkpoint was trained with another architecture (another head, neck or '
                'backbone variant) than this config builds')
    classifier = any(k in name for k in ('cls', 'fc.', 'head.fc'))
    if classifier and ckpt_shape[:1] != model_shape[:1]:
        return ('another num_classes: the checkpoint was trained on another number of classes '
                'than the config (give the checkpoint\'s classes with --classes, or the config '
                'it was trained with)')
    return ('another width or variant of the network (widen_factor, channels, unit) than '
            'this config')


def describe(first: Tuple[str, Optional[tuple], Optional[tuple]], source: str) -> str:
    name, ckpt_shape, model_shape = first
    if ckpt_shape is None:
        what = f'tensor {name} {list(model_shape)} of the model is missing from the checkpoint'
    elif model_shape is None:
        what = f'tensor {name} {list(ckpt_shape)} of the checkpoint is not in the model'
    else:
        what = (f'tensor {name} has shape {list(ckpt_shape)} in the checkpoint but '
                f'{list(model_shape)} in the model')
    return (f'checkpoint {source} does not fit this config: {what}; likely cause: '
            f'{likely_cause(name, ckpt_shape, model_shape)}. Pass --partial-load to load '
            'the tensors that fit anyway')


def check_fits(module: nn.Module, state_dict: dict, source: str = 'file') -> None:
    """Raise :class:`CheckpointMismatchError` when ``state_dict`` does not fit ``module``."""
    first = first_mismatch(module, state_dict)
    if first is not None:
        raise CheckpointMismatchError(describe(first, source))


def _checked_load_state_dict(module, state_dict, strict=False, logger=None):
    if _STATE['enabled']:
        from mmengine.model import BaseTTAModel, is_model_wrapper
        target = module
        # mmengine loads into the wrapped model of a wrapper or a TTA model (--tta)
        while is_model_wrapper(target) or isinstance(target, BaseTTAModel):
            target = target.module
        check_fits(target, state_dict, _STATE['source'] or 'file')
    return _STATE['original'](module, state_dict, strict, logger)


def _install() -> None:
    from mmengine.runner import checkpoint as mmengine_checkpoint
    if _STATE['original'] is None:
        _STATE['original'] = mmengine_checkpoint.load_state_dict
        mmengine_checkpoint.load_state_dict = _checked_load_state_dict


def enable_strict_loading(source: Optional[str] = None) -> None:
    """Check every later mmengine ``load_state_dict`` of this process (tools call it
    once at start unless ``--partial-load``)."""
    _install()
    _STATE['enabled'], _STATE['source'] = True, source


@contextlib.contextmanager
def strict_loading(source: Optional[str] = None, enabled: bool = True) -> Iterator[None]:
    """Check mmengine's ``load_state_dict`` calls inside the ``with`` block only."""
    _install()
    before = (_STATE['enabled'], _STATE['source'])
    _STATE['enabled'], _STATE['source'] = enabled, source
    try:
        yield
    finally:
        _STATE['enabled'], _STATE['source'] = before


def checkpoint_meta(path: str) -> dict:
    """The ``meta`` dict of a Runner checkpoint (empty where it has none)."""
    from mmdet_shuffledefect.compat.mmengine_weights_only import load_checkpoint_file
    ckpt = load_checkpoint_file(path, map_location='cpu')
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    return meta if isinstance(meta, dict) else {}


def meta_classes(meta: dict) -> Optional[List[str]]:
    """The class names a checkpoint's ``meta`` records (``dataset_meta.classes``)."""
    classes = (meta.get('dataset_meta') or {}).get('classes')
    return list(classes) if classes else None


def checkpoint_classes(path: str) -> Optional[List[str]]:
    """The class names a Runner checkpoint records (``meta.dataset_meta.classes``)."""
    return meta_classes(checkpoint_meta(path))
