from .safe_checkpoint import (CorruptCheckpointError, UnsafeCheckpointError,
                              install_safe_checkpoint_loader, load_checkpoint_file)

__all__ = [
    'CorruptCheckpointError', 'UnsafeCheckpointError',
    'install_safe_checkpoint_loader', 'load_checkpoint_file'
]
