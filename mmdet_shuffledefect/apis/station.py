"""An inspection station: watch the folder a line camera writes into, inspect every
picture once it is complete, and record it in the results database.

A picture is taken when it is complete: its size and modification time have stayed
unchanged for ``settle`` seconds **of the station's own clock** (a file server's clock is
never compared with it); names with a temporary suffix (``frame.jpg.tmp`` before its
rename) are never taken. A JPEG/PNG still cut short when read is read again as it grows,
until ``write_timeout``, and only then recorded unreadable (once; a later complete write
of it replaces that row). Every arrival is its own picture (:func:`.results_db.arrival_key`):
a name the camera reuses for a new picture is inspected again, the same bytes under a new
name are recorded under that name. Links and subfolders are not followed (each reported
once); a picture's size is read from its header and one over the pixel cap or under the
smallest side is recorded as refused before it is decoded.

Whatever has arrived is inspected ``batch_size`` at a time; each batch is one database
transaction (:class:`~.results_db.ResultsDB`), so a station killed at any point leaves
every committed picture recorded once and nothing half-written. A database that cannot be
written (locked, read-only, full, server down) stops nothing: the inspected batch is kept
and its recording retried with backoff, said on the terminal.

Example:
    >>> station = InspectionStation(model, db, 'camera/', batch_size=32)  # doctest: +SKIP
    >>> stats = station.run(stop_when_idle=5.0)                           # doctest: +SKIP
    >>> stats['recorded'], stats['backlog']                               # doctest: +SKIP
    (2000, 0)
"""
import hashlib
import os
import os.path as osp
import signal
import socket
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Deque, Dict, List, Optional, Tuple

import numpy as np

from .db_dialects import DatabaseFault, is_url
from .inspection import (IMAGE_SUFFIXES, defect_records, detect_many, model_input_side,
                         model_thresholds, predict_batch, resolve_tiling)
from .picture_files import (DEFAULT_MAX_PIXELS, DEFAULT_MIN_SIDE, read_picture, shown_name)
from .results_db import arrival_key, legacy_key, picture_key
from .score_thresholds import ScoreThr

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


def _say(message: str) -> None:
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
            _say(f'ignoring {shown_name(osp.join(self.folder, name))}: {reason}')

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


def _glibc_trim() -> Optional[Callable[[int], int]]:
    """glibc's ``malloc_trim`` (None elsewhere)."""
    import ctypes
    import ctypes.util
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


#: Returns the heap's free pages to the system after each batch. A line sends batches of
#: every size from 1 to ``batch_size``; PyTorch's tensors of ever-new shapes fragment
#: glibc's heap, which then keeps growing (measured: +430 MB over 4,000 pictures in
#: batches of 1-20, flat with a trim after each batch or with one fixed batch size).
MALLOC_TRIM = _glibc_trim()


class InspectionStation:
    """Inspects the pictures arriving in a folder and records them (module docstring).

    Args:
        model: An mmdet detector (:func:`~.inspection.init_inspection_model`) or an
            exported one (``OnnxDetector``, ``OpenVINODetector``).
        db (ResultsDB): Where every picture, its defects and the model are recorded.
        folder (str): The folder the camera writes into.
        score_thr (float | dict | Sequence[float], optional): Minimum score of a recorded
            defect, one for every class or one per class (:mod:`.score_thresholds`).
            None (default): the thresholds the checkpoint carries, else 0.3.
        batch_size (int): Most pictures per forward pass and per transaction.
            Defaults to 32.
        tile_size: As :func:`~.inspection.inspect_paths` (``'auto'``: line-scan strips
            are tiled, NEU-sized pictures resized whole). Defaults to 'auto'.
        tile_overlap (int): Tile overlap in px. Defaults to 64.
        poll_interval (float): Seconds between looks at an idle folder. Defaults to 0.1.
        settle (float): See :class:`FolderWatcher`. Defaults to 0.25.
        empty_settle (float): See :class:`FolderWatcher`. Defaults to 2.0.
        write_timeout (float): Seconds a picture still cut short is read again as the
            camera writes on, before it is recorded unreadable. Defaults to 10.
        max_pixels (int): Pictures with more pixels are refused from their header, before
            decoding. Defaults to 40 MP.
        min_side (int): Pictures with a side under this (px) are refused. Defaults to 32.
        follow_links (bool): See :class:`FolderWatcher`. Defaults to False.
        progress (bool): A status line on the terminal (pictures done, backlog, img/s).
            Defaults to True.

    Raises:
        ValueError: A bad argument (named with its value).
    """
    #: seconds between tries to record into a database that failed: doubling up to the last
    RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)

    def __init__(self, model, db, folder: str, score_thr: Optional[ScoreThr] = None,
                 batch_size: int = 32,
                 tile_size='auto', tile_overlap: int = 64, poll_interval: float = 0.1,
                 settle: float = 0.25, empty_settle: float = 2.0,
                 write_timeout: float = 10.0, max_pixels: int = DEFAULT_MAX_PIXELS,
                 min_side: int = DEFAULT_MIN_SIDE, follow_links: bool = False,
                 progress: bool = True) -> None:
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        # ValueError names a bad one
        self.thresholds, self.score_thr_source = model_thresholds(model, score_thr)
        if poll_interval <= 0:
            raise ValueError(f'poll_interval must be > 0 s, got {poll_interval}')
        if write_timeout < 0:
            raise ValueError(f'write_timeout must be >= 0 s, got {write_timeout}')
        if max_pixels < 1 or min_side < 1:
            raise ValueError(f'max_pixels and min_side must be >= 1, got {max_pixels} and '
                             f'{min_side}')
        self.model = model
        self.db = db
        self.watcher = FolderWatcher(folder, settle, empty_settle, follow_links=follow_links)
        self.classes = list(model.dataset_meta['classes'])
        self.score_thr = self.thresholds
        self.batch_size = batch_size
        self.tile_size = tile_size
        self.tile_overlap = tile_overlap
        self.poll_interval = poll_interval
        self.write_timeout = write_timeout
        self.max_pixels = max_pixels
        self.min_side = min_side
        self.progress = progress
        self.name = f'{socket.gethostname()}:{os.getpid()}'
        self.backlog: Deque[Arrival] = deque()
        self.unrecorded: Optional[Tuple[float, list]] = None  # (started, items) to retry
        self.stop_requested = False
        self.stats = dict(recorded=0, skipped_recorded=0, defective=0, unreadable=0,
                          refused=0, vanished=0, rereads=0, batches=0, backlog=0,
                          db_faults=0, unrecorded_at_stop=0)

    def request_stop(self, *_) -> None:
        """Stop after the batch in hand (what Ctrl-C and SIGTERM call)."""
        if not self.stop_requested:
            print('\nstation: stopping after the current batch (Ctrl-C again is ignored)',
                  file=sys.stderr)
        self.stop_requested = True

    def warm_up(self) -> None:
        """One batch of blank pictures through the model before the first real one, so
        the runtime's first-call allocations do not delay the line's first pictures."""
        side = model_input_side(self.model)
        predict_batch(self.model, [np.full((side, side, 3), 114, np.uint8)] * self.batch_size)

    def _read(self, batch: List[Arrival]) -> Tuple[float, list]:
        """Read and decode a batch (in the prefetch thread, while the previous batch is
        inferred): ``(started, [(arrival, sha256, key, data, img, error), ...])``. A
        picture still cut short, within ``write_timeout`` of its first sight, goes back
        to the watcher to be read again when the camera has written on."""
        started = time.time()
        read = []
        for arrival in batch:
            data, img, error, truncated = read_picture(arrival.path, self.max_pixels,
                                                       self.min_side)
            if data is None:
                self.stats['vanished'] += 1
                _say(f'{shown_name(arrival.path)}: {error}; not recorded')
                continue
            if truncated and self.watcher.clock() - arrival.first_seen < self.write_timeout:
                self.stats['rereads'] += 1
                self.watcher.retry(arrival)
                continue
            sha = picture_key(data, arrival.path)
            key = arrival_key(arrival.path, len(data), arrival.mtime_ns, sha)
            read.append((arrival, sha, key, data, img, error))
        return started, read

    def _record(self, started: float, read: list) -> None:
        """Inspect what :meth:`_read` read and record it in one transaction (kept for a
        retry when the database cannot take it now)."""
        try:
            seen = self.db.recorded([e[2] for e in read] +
                                    [legacy_key(e[0].path, e[1]) for e in read])
        except DatabaseFault:
            seen = set()  # recorded anyway: the database ignores an arrival it holds
        fresh = []
        for entry in read:
            if entry[2] in seen or legacy_key(entry[0].path, entry[1]) in seen:
                self.stats['skipped_recorded'] += 1  # this arrival is recorded
            else:
                seen.add(entry[2])
                fresh.append(entry)
        pictures = [e[4] for e in fresh if e[4] is not None]
        found = iter(())
        if pictures:
            tile, above, _ = resolve_tiling(self.model, self.tile_size, pictures)
            found = iter(detect_many(self.model, pictures, self.score_thr, tile,
                                     self.tile_overlap, self.batch_size, above))
        items = []
        for arrival, sha, key, data, img, error in fresh:
            item = dict(path=arrival.path, sha256=sha, arrival=key, size_bytes=len(data),
                        mtime_ns=arrival.mtime_ns, arrived_at=arrival.arrived_at)
            if img is None:
                refused = error.startswith(('too large', 'too small'))
                self.stats['refused' if refused else 'unreadable'] += 1
                _say(f'{shown_name(arrival.path)}: {error}; recorded as unreadable')
                items.append(dict(item, status='unreadable', error=error))
                continue
            h, w = img.shape[:2]
            records = defect_records(*next(found), self.classes, w, h)
            self.stats['defective'] += bool(records)
            items.append(dict(item, width=w, height=h, status='defect' if records else 'clean',
                              defects=[dict(r, cls=r['class']) for r in records]))
        if items:
            self.unrecorded = (started, items)
            self._commit()
        if MALLOC_TRIM is not None:
            MALLOC_TRIM(0)

    def _commit(self) -> bool:
        """Record the batch in hand; on a database fault keep it and say so once per
        cause (True: recorded, or nothing to record)."""
        if self.unrecorded is None:
            return True
        started, items = self.unrecorded
        try:
            batch = self.db.record_batch(items, station=self.name, started_at=started)
        except DatabaseFault as err:
            self.stats['db_faults'] += 1
            delay = self.RETRY_DELAYS[min(self._tries, len(self.RETRY_DELAYS) - 1)]
            if str(err) != self._last_fault:
                print(f'error: {err}; {len(items)} inspected pictures kept and their record '
                      f'retried every {delay:g}-{self.RETRY_DELAYS[-1]:g} s (the station '
                      'goes on watching)', file=sys.stderr, flush=True)
                self._last_fault = str(err)
            self._tries += 1
            self._retry_at = time.monotonic() + delay
            return False
        if self._tries:
            _say(f'the database took the {len(items)} kept pictures after {self._tries} '
                 'failed tries; recording again')
        self.unrecorded, self._tries, self._last_fault = None, 0, None
        self.stats['batches'] += batch is not None
        self.stats['recorded'] += len(items)
        return True

    _tries = 0
    _retry_at = 0.0
    _last_fault: Optional[str] = None

    def run(self, stop_when_idle: Optional[float] = None, max_images: Optional[int] = None,
            handle_signals: bool = True) -> Dict:
        """Inspect until stopped (Ctrl-C / SIGTERM: after the current batch).

        Args:
            stop_when_idle (float, optional): Also stop once nothing has arrived for this
                many seconds and the backlog is empty (a finished shift, or a test).
            max_images (int, optional): Also stop after recording this many pictures.
            handle_signals (bool): Install the SIGINT/SIGTERM handlers (main thread only).
                Defaults to True.

        Returns:
            dict: Counts: ``recorded``, ``skipped_recorded`` (arrivals recorded before for
            this model), ``defective``, ``unreadable``, ``refused`` (too large or small,
            recorded as unreadable), ``vanished`` (removed before they could be read),
            ``rereads`` (pictures read again while being written), ``batches``,
            ``backlog`` (left when stopped), ``db_faults`` (failed tries to record),
            ``unrecorded_at_stop`` (inspected, not recorded: the database was down when
            stopped; inspected again at the next start), ``seconds``.
        """
        from tqdm import tqdm
        self.warm_up()
        if handle_signals:
            signal.signal(signal.SIGINT, self.request_stop)
            signal.signal(signal.SIGTERM, self.request_stop)
        start = last_arrival = time.time()
        last_poll = -float('inf')
        bar = tqdm(desc='station', unit='img', disable=not self.progress, mininterval=1.0,
                   dynamic_ncols=True)
        # one thread reads and decodes the next batch while this one is inferred (file
        # reads, hashing and JPEG decoding release the GIL); nothing is recorded there
        reader = ThreadPoolExecutor(1, thread_name_prefix='station-read')
        ahead = None  # (future of _read, pictures in it)

        def next_batch(in_flight: int = 0):
            """Pop the next batch and start reading it (None: nothing to take)."""
            take = self.batch_size
            if max_images is not None:
                take = min(take, max_images - self.stats['recorded'] - in_flight)
            batch = [self.backlog.popleft() for _ in range(max(0, min(take, len(self.backlog))))]
            return (reader.submit(self._read, batch), len(batch)) if batch else None

        while not self.stop_requested:
            # look at the folder when the backlog cannot fill a batch, else once a second
            # (a listing of a folder of 10,000 pictures is not free)
            if (len(self.backlog) < self.batch_size and time.time() - last_poll >=
                    self.poll_interval) or not self.backlog or time.time() - last_poll >= 1.0:
                last_poll = time.time()
                arrivals = self.watcher.poll()
                if arrivals:
                    self.backlog.extend(arrivals)
                    last_arrival = time.time()
            if self.unrecorded is not None:  # the database failed: retry before more work
                if time.monotonic() < self._retry_at or not self._commit():
                    time.sleep(self.poll_interval)
                    continue
            if ahead is None:
                ahead = next_batch()
            if ahead is None:
                if (stop_when_idle is not None and time.time() - last_arrival >= stop_when_idle
                        and not self.watcher.watching):
                    break
                time.sleep(self.poll_interval)
                continue
            current, ahead = ahead, None
            started, read = current[0].result()
            if self.backlog:
                ahead = next_batch(in_flight=current[1])
            before = self.stats['recorded'] + self.stats['skipped_recorded']
            self._record(started, read)
            bar.update(self.stats['recorded'] + self.stats['skipped_recorded'] - before)
            bar.set_postfix(backlog=len(self.backlog) + (ahead[1] if ahead else 0),
                            defective=self.stats['defective'],
                            unreadable=self.stats['unreadable'], refresh=False)
            if max_images is not None and self.stats['recorded'] >= max_images:
                break
        if ahead is not None:  # read ahead, not recorded: back to the backlog's count
            self.stats['backlog'] += ahead[1]
            ahead[0].result()
        reader.shutdown()
        bar.close()
        if self.unrecorded is not None and not self._commit():
            self.stats['unrecorded_at_stop'] = len(self.unrecorded[1])
            print(f'error: stopped with {len(self.unrecorded[1])} inspected pictures not '
                  f'recorded ({self._last_fault}); their files are left as they are and the '
                  'next start inspects them', file=sys.stderr, flush=True)
        self.stats['backlog'] += len(self.backlog)
        self.stats['seconds'] = round(time.time() - start, 3)
        return dict(self.stats)


class StationLock:
    """One station per (database, watched folder): a second one is refused by name.

    SQLite: an advisory ``fcntl`` lock on a file beside the database. PostgreSQL: a
    session advisory lock on the server, keyed by the station's host and the folder's
    real path, held by a connection of its own. Either is dropped when its process ends,
    however it ends (SIGKILL and power loss included): a crashed station never blocks its
    restart. Stations watching other folders may share the database.

    Args:
        db_path (str): The results database (a file or a ``postgresql://`` URL).
        folder (str): The watched folder.

    Raises:
        RuntimeError: Another live station holds the lock (the message names it).

    Example:
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> with StationLock(osp.join(d, 'r.sqlite'), d):
        ...     StationLock(osp.join(d, 'r.sqlite'), d).acquire()
        Traceback (most recent call last):
        ...
        RuntimeError: ...
    """
    #: first key of the PostgreSQL advisory locks of stations (the second: the folder)
    PG_LOCK_CLASS = 0x5D1E

    def __init__(self, db_path: str, folder: str) -> None:
        real = osp.realpath(folder)
        tag = hashlib.sha1(real.encode(errors='surrogateescape')).hexdigest()[:10]
        self.path = f'{db_path}.station-{tag}.lock'
        self.db_path = db_path
        self.folder = folder
        self.handle = None
        where = f'{socket.gethostname()}:{real}'.encode(errors='surrogateescape')
        self.pg_key = int.from_bytes(hashlib.sha1(where).digest()[:4], 'big', signed=True)

    def _refuse(self, holder: str, where: str):
        raise RuntimeError(
            f'another station ({holder}) is already watching {shown_name(self.folder)} into '
            f'{self.describe()}; stop it first, or watch another folder ({where})')

    def describe(self) -> str:
        from .db_dialects import dialect_for
        return dialect_for(self.db_path).describe()

    def acquire(self) -> 'StationLock':
        if is_url(self.db_path):
            return self._acquire_pg()
        import fcntl
        handle = open(self.path, 'a+')
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or 'unknown'
            handle.close()
            self._refuse(holder, f'lock file {self.path}')
        handle.seek(0)
        handle.truncate()
        handle.write(f'{socket.gethostname()}:{os.getpid()} since '
                     f'{time.strftime("%Y-%m-%d %H:%M:%S")}\n')
        handle.flush()
        self.handle = handle
        return self

    def _acquire_pg(self) -> 'StationLock':
        from .db_dialects import dialect_for
        conn = dialect_for(self.db_path).connect()
        me = (f'station {socket.gethostname()}:{os.getpid()} since '
              f'{time.strftime("%Y-%m-%d %H:%M:%S")}')
        conn.execute('SELECT set_config(%s, %s, false)', ('application_name', me[:63]))
        got = conn.execute('SELECT pg_try_advisory_lock(%s, %s)',
                           (self.PG_LOCK_CLASS, self.pg_key)).fetchone()[0]
        if not got:
            row = conn.execute(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON "
                "a.pid = l.pid WHERE l.locktype = 'advisory' AND l.classid = %s AND "
                "l.objid = %s::oid AND l.granted", (self.PG_LOCK_CLASS,
                                                    self.pg_key & 0xFFFFFFFF)).fetchone()
            conn.close()
            self._refuse(row[0] if row else 'unknown',
                         f'advisory lock ({self.PG_LOCK_CLASS}, {self.pg_key}) on the server')
        self.handle = conn
        return self

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()  # closing drops the lock (file or server session)
            self.handle = None

    def __enter__(self) -> 'StationLock':
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


__all__ = ['Arrival', 'FolderWatcher', 'InspectionStation', 'StationLock', 'TEMP_SUFFIXES',
           'picture_key', 'read_picture']
