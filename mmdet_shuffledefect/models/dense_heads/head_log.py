"""One log line per head and topic: why a head took mmdet's per-image path, said once."""
import logging

from mmengine.logging import print_log


def say_once(head, key: str, message: str) -> None:
    """Log ``message`` once per head instance and ``key``."""
    said = head.__dict__.setdefault('_said', set())
    if key not in said:
        said.add(key)
        print_log(f'{type(head).__name__}: {message}', logger='current', level=logging.INFO)


__all__ = ['say_once']
