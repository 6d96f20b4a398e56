"""The watched folder: each complete picture a camera writes, handed out once per arrival.

A picture is complete when its size and modification time have stayed unchanged for
``settle`` seconds of the station's own clock; names with a temporary suffix are never
taken; links and subfolders are reported once and not followed.
"""
import os
import os.path as osp
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

from .picture_files import shown_name
from .sources import IMAGE_SUFFIXES

#: Names a camera writes to before renaming them: never taken, whatever they end with.
TEMP_SUFFIXES = ('.tmp', '.part', '.partial', '.crdownload', '.filepart', '.temp', '.swp')


@dataclass
class Arrival:
    """A complete picture in the watched folder: one arrival of a name."""
    path: str
    size: int
    arrived_at: float  # its last modification (epoch seconds, the file system's clock)
    mtime_ns: int = 0
    first_seen: float = 0.0  # when the station first saw this write (the station's clock)


def say(message: str) -> None:
    print(f'station: {message}', file=sys.stderr, flush=True)


class FolderWatcher:
    """Polls a folder and hands out each arrival of a picture once.

    Polling works on every file system (network shares included, where change events
    often do not arrive); one ``os.scandir`` of 10,000 names takes milliseconds. A name is
    handed out again when its size, modification time or inode changes (a camera reusing
    names): that is a new arrival.

    Args:
        folder (str): The folder the camera writes into (not its subfolders).
        settle (float): Seconds of the station's clock a file's size and modification
            time must stay unchanged before it is taken; 0 takes a file at first sight.
            Defaults to 0.25.
        empty_settle (float): Seconds a zero-byte file may take to grow before it is
            taken (and recorded as unreadable). Defaults to 2.0.
        clock (Callable): The station's clock (tests pass their own). Defaults to
            time.monotonic.
        follow_links (bool): Take symbolic links whose target is a file inside the watch
            folder (links are never followed out of it). Defaults to False.

    Raises:
        ValueError: ``folder`` is not a folder, or a negative settle time.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> watcher = FolderWatcher(folder, settle=0.0)
        >>> open(osp.join(folder, 'a.jpg'), 'wb').write(b'1234')
        4
        >>> [osp.basename(a.path) for a in watcher.poll()], watcher.poll()
        (['a.jpg'], [])
    """

    def __init__(self, folder: str, settle: float = 0.25, empty_settle: float = 2.0,
                 clock: Callable[[], float] = time.monotonic,
                 follow_links: bool = False) -> None:
        if not osp.isdir(folder):
            raise ValueError(f'watch folder {shown_name(folder)} does not exist or is not a '
                             'folder')
        if settle < 0 or empty_settle < 0:
            raise ValueError(f'settle times must be >= 0 s, got settle={settle}, '
                             f'empty_settle={empty_settle}')
        self.folder = osp.abspath(folder)
        self.real_folder = osp.realpath(folder)
        self.settle = settle
        self.empty_settle = empty_settle
        self.clock = clock
        self.follow_links = follow_links
        self.taken: Dict[str, tuple] = {}  # name -> (size, mtime_ns, inode) handed out
        self.watching: Dict[str, Tuple[tuple, float]] = {}  # name -> (that, since)
        self.first_seen: Dict[str, float] = {}  # name -> when its write was first seen
        self.ignored: set = set()  # (name, reason) said once

    def _skip(self, name: str, reason: str) -> None:
        """Report a skipped entry once per name and reason."""
        if (name, reason) not in self.ignored:
            self.ignored.add((name, reason))
            say(f'ignoring {shown_name(osp.join(self.folder, name))}: {reason}')

    def _entry_stat(self, entry) -> Optional[os.stat_result]:
        """The entry's own status (a link's target's where links are taken), None where
        it is skipped (reported once) or gone."""
        name = entry.name
        try:
            if entry.is_symlink():
                if not self.follow_links:
                    self._skip(name, 'a symbolic link, not followed (--follow-links takes '
                               'links to pictures inside the watch folder)')
                    return None
                target = osp.realpath(entry.path)
                if osp.commonpath([target, self.real_folder]) != self.real_folder:
                    self._skip(name, f'a link to {shown_name(target)}, outside the watch '
                               'folder: not followed')
                    return None
            if entry.is_dir():
                self._skip(name, 'a folder (subfolders are not watched)')
                return None
            if not entry.is_file():
                self._skip(name, 'not a regular file')
                return None
            return entry.stat()
        except (FileNotFoundError, NotADirectoryError):  # gone since the listing
            return None

    def poll(self) -> List[Arrival]:
        """The arrivals that became complete since the last call, oldest first."""
        now = self.clock()
        ready = []
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError as err:
            raise RuntimeError(f'watch folder {shown_name(self.folder)} disappeared') from err
        present = set()
        for entry in entries:
            name = entry.name
            present.add(name)
            low = name.lower()
            if name.startswith('.') or low.endswith(TEMP_SUFFIXES):
                continue  # hidden, or still being written by the camera
            if not low.endswith(IMAGE_SUFFIXES):
                self._skip(name, f'not a picture name ({", ".join(IMAGE_SUFFIXES)})')
                continue
            st = self._entry_stat(entry)
            if st is None:
                continue
            sig = (st.st_size, st.st_mtime_ns, st.st_ino)
            if self.taken.get(name) == sig:
                continue  # this arrival was handed out
            seen = self.watching.get(name)
            if seen is None or seen[0] != sig:  # new, or changed since the last look
                self.watching[name] = (sig, now)
                self.first_seen.setdefault(name, now)
                if self.settle > 0 or st.st_size == 0:
                    continue
                seen = (sig, now)
            wait = self.empty_settle if st.st_size == 0 else self.settle
            if now - seen[1] < wait:
                continue
            self.taken[name] = sig
            del self.watching[name]
            ready.append(Arrival(entry.path, st.st_size, st.st_mtime, st.st_mtime_ns,
                                 self.first_seen.pop(name, now)))
        for gone in [n for n in self.taken if n not in present]:  # a later file of the
            del self.taken[gone]                                   # name is a new arrival
        for gone in [n for n in self.watching if n not in present]:
            del self.watching[gone]
            self.first_seen.pop(gone, None)
        ready.sort(key=lambda a: (a.mtime_ns, a.path))
        return ready

    def retry(self, arrival: Arrival) -> None:
        """Hand ``arrival``'s name out again once it changes and settles (a picture read
        while the camera was still writing it), keeping when its write was first seen."""
        name = osp.basename(arrival.path)
        self.taken.pop(name, None)
        self.watching[name] = ((arrival.size, arrival.mtime_ns, None), self.clock())
        self.first_seen[name] = arrival.first_seen


__all__ = ['Arrival', 'FolderWatcher', 'TEMP_SUFFIXES', 'say']
