"""What an upstream fix is, and how the package applies or skips it.

Each fix of a bug in a library we build on lives in its own module of
:mod:`mmdet_shuffledefect.compat` and is described by one :class:`UpstreamFix`:
the upstream issue, the versions known to need it, a probe that looks at the
installed code (not only its version number) and the function that applies it.
"""
import logging
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Callable

from ..say_once import say_once


def installed_version(distribution: str) -> str:
    """The installed version of ``distribution``, or ``'not installed'``."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return 'not installed'


@dataclass(frozen=True)
class UpstreamFix:
    """One work-around for a bug in an upstream package.

    Args:
        name (str): Short name, used in messages and as the key of
            :func:`mmdet_shuffledefect.compat.apply_upstream_fixes`' result.
        distribution (str): The pip distribution that has the bug.
        affected (str): The versions known to need the fix, in words.
        upstream (str): The upstream issue (or pull request) it works around.
        is_needed (Callable[[], bool]): Probe of the installed code: True
            while the bug is there.
        apply (Callable[[], None]): Applies the fix (idempotent).
        announce_skip (bool): Say once in the log when the fix is skipped.
            False for fixes that only an optional package makes necessary.
            Defaults to True.

    Example:
        >>> fix = UpstreamFix('demo', 'mmengine', '0.10.x', 'https://example.org/1',
        ...                   is_needed=lambda: False, apply=lambda: None)
        >>> fix.distribution
        'mmengine'
    """
    name: str
    distribution: str
    affected: str
    upstream: str
    is_needed: Callable[[], bool]
    apply: Callable[[], None]
    announce_skip: bool = True

    def apply_if_needed(self) -> bool:
        """Apply the fix if the probe finds the bug; else say once that it is skipped.

        Returns:
            bool: Whether the fix is in force.
        """
        if self.is_needed():
            self.apply()
            return True
        if not self.announce_skip:
            return False
        say_once(
            f'skip:{self.name}',
            f'mmdet_shuffledefect: upstream fix {self.name!r} skipped: not needed with the '
            f'installed {self.distribution} {installed_version(self.distribution)} '
            f'({self.upstream}; needed by {self.affected}).')
        return False
