"""How a tool stops on bad input: one ``error:`` line naming what was wrong, a non-zero exit.

:func:`fail` is the one way out; :func:`run_guarded` turns the package's own checkpoint and
data errors (raised deep in a Runner) into that line instead of a traceback.
"""
import sys
from typing import NoReturn

from mmdet_shuffledefect.compat.mmengine_weights_only import (CorruptCheckpointError,
                                                              UnsafeCheckpointError)
from mmdet_shuffledefect.datasets.neu_classes import DataError

from .checkpoint_fit import CheckpointMismatchError
from .model_check import ModelConsistencyError


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` to stderr and exit with ``code`` (non-zero)."""
    print(f'error: {message}', file=sys.stderr)
    sys.exit(code)


def run_guarded(fn):
    """Call ``fn()``; turn checkpoint and data errors into one ``error:`` line, exit 1."""
    try:
        return fn()
    except (UnsafeCheckpointError, CorruptCheckpointError, CheckpointMismatchError,
            ModelConsistencyError, FileNotFoundError, DataError) as err:
        fail(str(err), code=1)
    except KeyError as err:  # the registry's "X is not in the Y registry"
        if 'is not in the' not in str(err):
            raise
        fail(f'{err.args[0]} (is the type spelled right, and is its package in '
             'custom_imports?)', code=1)


__all__ = ['fail', 'run_guarded']
