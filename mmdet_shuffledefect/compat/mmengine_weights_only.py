"""Load mmengine checkpoints under ``torch.load(weights_only=True)``.

Upstream: https://github.com/open-mmlab/mmengine/issues/1655 (open pull
request #1650 turns ``weights_only`` off instead). Affects mmengine 0.10.x
(0.10.7 is the latest release) with torch >= 2.6.

torch >= 2.6 unpickles with ``weights_only=True`` by default, and mmengine
0.10.7 calls ``torch.load`` without the argument, so a checkpoint that
mmengine's own Runner wrote (it stores a ``HistoryBuffer`` and numpy scalars
and arrays in ``message_hub`` and ``meta``) cannot be loaded back: ``--resume``,
``load_from`` and testing a checkpoint all fail.

Turning ``weights_only`` off would execute any pickle found in a checkpoint.
Instead this module allowlists exactly the types mmengine writes
(:data:`MMENGINE_SAFE_GLOBALS`, inside a ``torch.serialization.safe_globals``
context, which leaves ``torch.load``'s default and global allowlist untouched) and replaces mmengine's local
checkpoint loader with :func:`load_from_local_safe`, which

* loads with ``weights_only=True``;
* refuses a checkpoint that holds any other pickled object with a
  :class:`UnsafeCheckpointError` naming the file and the opt-in;
* reports a truncated or corrupt file as a :class:`CorruptCheckpointError`
  naming the file.

A user who trusts a checkpoint that holds other objects opts in for that run
with the environment variable ``MMDET_SDN_TRUST_CHECKPOINT=1`` (the tools'
``--trust-checkpoint`` flag sets it).

Example:
    >>> import mmdet_shuffledefect  # applies the fix (compat.apply_upstream_fixes)
    >>> from mmengine.runner import CheckpointLoader

from .upstream_fix import UpstreamFix
    >>> CheckpointLoader._get_checkpoint_loader('x.pth').__name__
    'load_from_local_safe'
"""
import contextlib
import inspect
import os
import os.path as osp
import pickle
from typing import Any, List, Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

from .upstream_fix import UpstreamFix

TRUST_ENV = 'MMDET_SDN_TRUST_CHECKPOINT'


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a pickled object outside the allowlist."""


class CorruptCheckpointError(RuntimeError):
    """A checkpoint file is truncated or not a torch checkpoint at all."""


def _numpy_globals() -> List[Any]:
    """The numpy callables and classes a pickled array or scalar refers to."""
    found: List[Any] = [np.ndarray, np.dtype]
    # numpy 1.x pickles through numpy.core.multiarray; numpy 2 through
    # numpy._core.multiarray. Allow whichever this numpy uses.
    for modname in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        try:
            mod = __import__(modname, fromlist=['_reconstruct', 'scalar'])
        except ImportError:
            continue
        found += [mod._reconstruct, mod.scalar]
    # Concrete dtype classes (numpy >= 1.25: numpy.dtypes.Float64DType ...).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        found += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType') and isinstance(getattr(dtypes, name), type)
        ]
    return found


HISTORY_BUFFER_METHODS = ('min', 'max', 'current', 'mean')


def history_buffer_getattr(obj: Any, name: str) -> Any:
    """A ``getattr`` that only fetches a ``HistoryBuffer``'s statistics methods.

    A pickled ``HistoryBuffer`` keeps its statistics methods (functions of the
    class) in its state, which pickle as ``getattr(HistoryBuffer, 'min')``. Allowlisting the builtin
    ``getattr`` would open every attribute of every allowed object; this
    stand-in is mapped to the name ``builtins.getattr`` instead and refuses
    anything but those methods.
    """
    allowed = set(HISTORY_BUFFER_METHODS) | set(HistoryBuffer._statistics_methods)
    if (obj is HistoryBuffer or type(obj) is HistoryBuffer) and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'refused getattr({type(obj).__name__}, {name!r}) while unpickling: only '
        f'HistoryBuffer statistics methods {sorted(allowed)} are allowed')


#: Exactly what mmengine's Runner stores besides tensors: the message hub's
#: ``HistoryBuffer`` (with its statistics methods, pickled through
#: ``getattr``), the numpy arrays/scalars inside it and in ``meta``, and the
#: ``bytes`` an empty array's data pickles as.
MMENGINE_SAFE_GLOBALS: List[Any] = [
    HistoryBuffer, (history_buffer_getattr, 'builtins.getattr'),
    (history_buffer_getattr, '__builtin__.getattr'),
    # An empty numpy array or HistoryBuffer pickles its empty data as
    # ``bytes()`` under protocol 2, i.e. the global ``__builtin__.bytes``.
    bytes, (bytes, '__builtin__.bytes'),
] + _numpy_globals()


def _allowlisted():
    scoped = getattr(torch.serialization, 'safe_globals', None)
    return scoped(MMENGINE_SAFE_GLOBALS) if scoped else contextlib.nullcontext()


def trust_requested() -> bool:
    """Whether the user opted in to full unpickling for this process."""
    return os.environ.get(TRUST_ENV, '').strip().lower() in ('1', 'true', 'yes')


#: Phrases of torch's (and :func:`history_buffer_getattr`'s) message when the
#: unpickler met an object outside the allowlist, as opposed to a broken file.
REFUSED_MARKERS = ('Unsupported global', 'refused getattr')


def _unsupported(err: Exception) -> str:
    """The line of torch's message that names the refused global."""
    for line in str(err).splitlines():
        if any(k in line for k in REFUSED_MARKERS + ('Unsupported operand', )):
            return line.strip().split('. Please use')[0]
    return str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__


def load_checkpoint_file(filename: str,
                         map_location: Optional[Any] = None,
                         trust: Optional[bool] = None) -> Any:
    """Load a local checkpoint with the allowlist, with clear errors.

    Args:
        filename (str): Path of the checkpoint.
        map_location (optional): As in :func:`torch.load`. Defaults to None.
        trust (bool, optional): Unpickle everything (only for files the user
            trusts). Defaults to None, which reads ``MMDET_SDN_TRUST_CHECKPOINT``.

    Returns:
        The loaded object (usually a dict).

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        UnsafeCheckpointError: the file holds a non-allowlisted object.
        CorruptCheckpointError: the file is truncated or not a checkpoint.

    Example:
        >>> ckpt = load_checkpoint_file('work_dirs/epoch_1.pth')  # doctest: +SKIP
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    if trust is None:
        trust = trust_requested()
    try:
        with _allowlisted():
            return torch.load(
                filename, map_location=map_location, weights_only=not trust)
    except pickle.UnpicklingError as err:
        if not any(marker in str(err) for marker in REFUSED_MARKERS):
            raise CorruptCheckpointError(
                f'checkpoint {filename} is corrupt or truncated, or not a torch '
                f'checkpoint at all ({_unsupported(err)}). Re-download or re-save it.'
            ) from None
        raise UnsafeCheckpointError(
            f'Refused to load checkpoint {filename}: it contains a pickled '
            'object outside the allowlist of types mmengine writes, and '
            'unpickling it could run arbitrary code. If you trust this file, '
            f'load it with {TRUST_ENV}=1 in the environment (or pass '
            '--trust-checkpoint to tools/train.py and tools/test.py). '
            f'({_unsupported(err)})') from None
    except (RuntimeError, EOFError, ValueError, OSError) as err:
        raise CorruptCheckpointError(
            f'checkpoint {filename} is corrupt or truncated and cannot be '
            f'read ({type(err).__name__}: {err}). Re-download or re-save it.'
        ) from err


def load_from_local_safe(filename: str, map_location: Optional[Any] = None) -> Any:
    """mmengine ``CheckpointLoader`` backend for local paths (see module doc)."""
    return load_checkpoint_file(filename, map_location)


def install_safe_checkpoint_loader() -> None:
    """Allowlist mmengine's types and make the safe loader mmengine's default.

    Idempotent. Neither ``torch.load``'s default (``weights_only=True`` on
    torch >= 2.6) nor its global allowlist is changed: the allowlist applies
    only inside :func:`load_checkpoint_file`.
    """
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_safe, force=True)


def mmengine_loads_without_weights_only() -> bool:
    """Whether torch defaults to ``weights_only=True`` (>= 2.6) while mmengine's
    local loader still calls ``torch.load`` without the argument."""
    from mmengine.runner import checkpoint as mmengine_checkpoint
    from packaging.version import Version
    if Version(torch.__version__.split('+')[0]) < Version('2.6'):
        return False
    loader = getattr(mmengine_checkpoint, 'load_from_local', None)
    return loader is not None and 'weights_only' not in inspect.getsource(loader)


MMENGINE_WEIGHTS_ONLY = UpstreamFix(
    name='mmengine-weights-only',
    distribution='mmengine',
    affected='mmengine 0.10.x with torch >= 2.6',
    upstream='https://github.com/open-mmlab/mmengine/issues/1655',
    is_needed=mmengine_loads_without_weights_only,
    apply=install_safe_checkpoint_loader)
