"""One log line per topic: :func:`say_once`, for the process or for one object.

The package says some things once and only once: that an upstream fix was skipped (once per
process), or why a detection head took mmdet's per-image path (once per head). Both go
through this one function, at the bottom of the package's import layers, so every subpackage
can import it.

Example:
    >>> from mmdet_shuffledefect.say_once import say_once
    >>> say_once('demo-topic', 'said once')          # doctest: +SKIP
    True
    >>> say_once('demo-topic', 'said once')
    False
"""
import logging
from typing import Any, Optional, Set

from mmengine.logging import print_log

_SAID: Set[str] = set()
#: where an owner keeps the topics it has said (in its ``__dict__``, so that an
#: ``nn.Module``'s ``__setattr__`` is not involved)
_OWNER_KEY = '_said'


def say_once(key: str, message: str, level: int = logging.INFO,
             owner: Optional[Any] = None) -> bool:
    """Log ``message`` the first time ``key`` is seen: in this process, or for ``owner``
    (an object, e.g. a head: then each instance says it once, prefixed with its class name).

    Args:
        key (str): The topic.
        message (str): What to log.
        level (int): The logging level. Defaults to ``logging.INFO``.
        owner (object, optional): Scope the topic to this object. Defaults to None (the
            process).

    Returns:
        bool: Whether the message was logged now.
    """
    if owner is None:
        said = _SAID
    else:
        said = owner.__dict__.setdefault(_OWNER_KEY, set())
        message = f'{type(owner).__name__}: {message}'
    if key in said:
        return False
    said.add(key)
    print_log(message, logger='current', level=level)
    return True


__all__ = ['say_once']
