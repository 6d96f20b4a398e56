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
tools turns the check off, and instead of mmengine's list of every tensor that did
not load, :func:`fit_state_dict` names what was left out by whole module, in three
lines at most.

Example:
    >>> import torch.nn as nn
    >>> head = nn.Linear(4, 7)
    >>> state = nn.Linear(4, 6).state_dict()
    >>> first_mismatch(head, state)
    ('weight', (6, 4), (7, 4))
"""
import contextlib
import logging
import re
from collections import defaultdict
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import torch.nn as nn

from mmdet_shuffledefect.compat.mmengine_weights_only import load_checkpoint_file

#: mode: 'off' (mmengine's own loading), 'strict' (refuse what does not fit) or
#: 'partial' (load what fits, name what was left out)
_STATE: Dict[str, object] = {'mode': 'off', 'source': None, 'original': None}
_IGNORED = re.compile(r'num_batches_tracked$')


class CheckpointMismatchError(ValueError):
    """A checkpoint's tensors do not fit the model (shape, missing or unexpected)."""


def _shape(value) -> Optional[Tuple[int, ...]]:
    shape = getattr(value, 'shape', None)
    return tuple(shape) if shape is not None else None


def _misfits(own: dict, theirs: dict) -> Tuple[List[str], List[str], List[str]]:
    """Names of the tensors that do not fit: of another shape, of the model missing from
    the checkpoint, of the checkpoint not in the model (each in its dict's order)."""
    other = [k for k, v in theirs.items() if k in own and _shape(v) != _shape(own[k])]
    return other, [k for k in own if k not in theirs], [k for k in theirs if k not in own]


def first_mismatch(module: nn.Module, state_dict: dict
                   ) -> Optional[Tuple[str, Optional[tuple], Optional[tuple]]]:
    """``(name, checkpoint shape, model shape)`` of the first tensor that does not fit
    (``None`` for a side that lacks it), or ``None`` when all fit."""
    own = {k: v for k, v in module.state_dict().items() if not _IGNORED.search(k)}
    theirs = {k: v for k, v in state_dict.items() if not _IGNORED.search(k)}
    other, missing, unexpected = _misfits(own, theirs)
    names = other + missing + unexpected
    if not names:
        return None
    return names[0], _shape(theirs.get(names[0])), _shape(own.get(names[0]))


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


def whole_modules(selected: Iterable[str], universe: Iterable[str]) -> List[str]:
    """The shortest module paths whose tensors (of ``universe``) are all ``selected``: a
    dropped unit is one name instead of its 18 tensors.

    Example:
        >>> keys = ['a.0.w', 'a.0.b', 'a.1.w', 'a.1.b', 'c.w']
        >>> whole_modules(['a.1.w', 'a.1.b', 'c.w'], keys)
        ['a.1', 'c']
        >>> whole_modules(['a.0.w'], keys)
        ['a.0.w']
    """
    selected = list(dict.fromkeys(selected))
    chosen = set(selected)
    total, inside = defaultdict(int), defaultdict(int)
    for key in universe:
        parts = key.split('.')
        for i in range(1, len(parts) + 1):
            total['.'.join(parts[:i])] += 1
            inside['.'.join(parts[:i])] += key in chosen
    names = []
    for key in selected:
        parts = key.split('.')
        prefixes = ('.'.join(parts[:i]) for i in range(1, len(parts) + 1))
        names.append(next((p for p in prefixes if total[p] == inside[p]), key))
    return list(dict.fromkeys(names))


def _listed(names: List[str], most: int = 6) -> str:
    more = f', ... {len(names) - most} more' if len(names) > most else ''
    return ', '.join(names[:most]) + more


def fit_state_dict(module: nn.Module, state_dict: dict, source: str = 'file'
                   ) -> Tuple[dict, List[str]]:
    """What a partial load puts into ``module``: the checkpoint's tensors that fit and the
    module's own for the rest, so the load is exact; and one line per kind of tensor that
    did not load (none of the checkpoint, another shape, missing from the checkpoint),
    naming whole modules.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 3))
        >>> ckpt = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2), nn.Linear(2, 2))
        >>> state, lines = fit_state_dict(model, ckpt.state_dict(), 'c.pth')
        >>> bool((state['0.weight'] == ckpt[0].weight).all()), sorted(state) == sorted(
        ...     model.state_dict())
        (True, True)
        >>> print('\\n'.join(lines))  # doctest: +NORMALIZE_WHITESPACE
        partial load of c.pth: 2 checkpoint tensors have no place in the model, left out: 2
        partial load of c.pth: 2 tensors of another shape, left out: 1
            (1.weight: [2, 4] in the checkpoint, [3, 4] in the model)
    """
    own = module.state_dict()
    other, missing, unexpected = _misfits(own, state_dict)
    left_out = set(other)
    state = dict(own, **{k: v for k, v in state_dict.items() if k in own and k not in left_out})
    counted = [k for k in own if not _IGNORED.search(k)]
    missing = [k for k in missing if not _IGNORED.search(k)]
    head = f'partial load of {source}: '
    lines = []
    if unexpected:
        lines.append(f'{head}{len(unexpected)} checkpoint tensors have no place in the model, '
                     f'left out: {_listed(whole_modules(unexpected, state_dict))}')
    if other:
        first = other[0]
        lines.append(f'{head}{len(other)} tensors of another shape, left out: '
                     f'{_listed(whole_modules(other, state_dict))} ({first}: '
                     f'{list(_shape(state_dict[first]))} in the checkpoint, '
                     f'{list(_shape(own[first]))} in the model)')
    if missing:
        lines.append(f'{head}{len(missing)} model tensors are not in the checkpoint and keep '
                     f'their initialisation: {_listed(whole_modules(missing, counted))}')
    return state, lines


def _unwrapped(module):
    from mmengine.model import BaseTTAModel, is_model_wrapper
    # mmengine loads into the wrapped model of a wrapper or a TTA model (--tta)
    while is_model_wrapper(module) or isinstance(module, BaseTTAModel):
        module = module.module
    return module


def _checked_load_state_dict(module, state_dict, strict=False, logger=None):
    source = _STATE['source'] or 'file'
    if _STATE['mode'] == 'strict':
        check_fits(_unwrapped(module), state_dict, source)
    elif _STATE['mode'] == 'partial':
        from mmengine.logging import print_log
        state_dict, lines = fit_state_dict(_unwrapped(module), state_dict, source)
        for line in lines:
            print_log(line, logger='current', level=logging.WARNING)
    return _STATE['original'](module, state_dict, strict, logger)


def _install() -> None:
    from mmengine.runner import checkpoint as mmengine_checkpoint
    if _STATE['original'] is None:
        _STATE['original'] = mmengine_checkpoint.load_state_dict
        mmengine_checkpoint.load_state_dict = _checked_load_state_dict


def enable_strict_loading(source: Optional[str] = None, partial: bool = False) -> None:
    """Check every later mmengine ``load_state_dict`` of this process (tools call it
    once at start); ``partial`` (``--partial-load``): load what fits and name what was
    left out instead."""
    _install()
    _STATE['mode'], _STATE['source'] = 'partial' if partial else 'strict', source


@contextlib.contextmanager
def strict_loading(source: Optional[str] = None, enabled: bool = True,
                   partial: bool = False) -> Iterator[None]:
    """Check mmengine's ``load_state_dict`` calls inside the ``with`` block only
    (``enabled=False``: mmengine's own loading; ``partial``: as
    :func:`enable_strict_loading`)."""
    _install()
    before = (_STATE['mode'], _STATE['source'])
    _STATE['mode'] = 'partial' if partial else 'strict' if enabled else 'off'
    _STATE['source'] = source
    try:
        yield
    finally:
        _STATE['mode'], _STATE['source'] = before


def checkpoint_meta(path: str) -> dict:
    """The ``meta`` dict of a Runner checkpoint (empty where it has none)."""
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
