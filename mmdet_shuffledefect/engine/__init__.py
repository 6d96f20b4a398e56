from mmengine.registry import HOOKS

from .dist_info_hook import DistInfoHook
from .safe_checkpoint import (CorruptCheckpointError, UnsafeCheckpointError,
                              install_safe_checkpoint_loader, load_checkpoint_file)

HOOKS.register_module(module=DistInfoHook)

__all__ = [
    'CorruptCheckpointError', 'DistInfoHook', 'UnsafeCheckpointError',
    'install_safe_checkpoint_loader', 'load_checkpoint_file'
]
