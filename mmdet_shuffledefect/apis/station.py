"""An inspection station: watch the folder a line camera writes into, inspect every
picture once it is complete, and record it in the results database.

A picture is taken when it is complete: its size and modification time have not changed
for ``settle`` seconds (a camera that writes in place), or at once after a
write-then-rename (``frame.jpg.tmp`` -> ``frame.jpg``: names with a temporary suffix
are never taken). A zero-byte file gets ``empty_settle`` seconds to grow before it is
recorded as unreadable. Whatever has arrived is inspected ``batch_size`` at a time, so a
backlog goes in full batches and a slow line in small ones; each batch is one database
transaction (:class:`~.results_db.ResultsDB`), so a station killed at any point leaves
every committed picture recorded once and nothing half-written: after a restart, the
pictures of the folder whose content is recorded for this model are skipped and the rest
inspected.

The bytes are read once: the content hash (the picture's identity) and the decoded
picture come from the same read, so a file rewritten while it is inspected cannot be
recorded under another content's hash.

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

import cv2
import numpy as np

from .inspection import (IMAGE_SUFFIXES, defect_records, detect_many, model_input_side,
                         model_thresholds, predict_batch, resolve_tiling)
from .results_db import picture_key
from .score_thresholds import ScoreThr

#: Names a camera writes to before renaming them: never taken, whatever they end with.
TEMP_SUFFIXES = ('.tmp', '.part', '.partial', '.crdownload', '.filepart', '.temp', '.swp')


@dataclass
class Arrival:
    """A complete picture in the watched folder."""
    path: str
    size: int
    arrived_at: float  # when it was complete: its last modification (epoch seconds)


class FolderWatcher:
    """Polls a folder and hands out each complete picture once.

    Polling works on every file system (network shares included, where change events
    often do not arrive); one ``os.scandir`` of 10,000 names takes milliseconds, and names
    handed out before are not stat'ed again.

    Args:
        folder (str): The folder the camera writes into (not its subfolders).
        settle (float): Seconds a file's size and modification time must stay unchanged
            before it is taken. Defaults to 0.25.
        empty_settle (float): Seconds a zero-byte file may take to grow before it is
            taken (and recorded as unreadable). Defaults to 2.0.
        clock (Callable): The time source (tests pass their own). Defaults to time.time.

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
                 clock: Callable[[], float] = time.time) -> None:
        if not osp.isdir(folder):
            raise ValueError(f'watch folder {folder} does not exist or is not a folder')
        if settle < 0 or empty_settle < 0:
            raise ValueError(f'settle times must be >= 0 s, got settle={settle}, '
                             f'empty_settle={empty_settle}')
        self.folder = folder
        self.settle = settle
        self.empty_settle = empty_settle
        self.clock = clock
        self.taken: set = set()
        self.ignored: set = set()  # names that are not pictures (said once)
        self.first_seen: Dict[str, float] = {}

    def poll(self) -> List[Arrival]:
        """The pictures that became complete since the last call, oldest first."""
        now = self.clock()
        ready = []
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError as err:
            raise RuntimeError(f'watch folder {self.folder} disappeared') from err
        for entry in entries:
            name = entry.name
            low = name.lower()
            if name in self.taken or name.startswith('.') or low.endswith(TEMP_SUFFIXES):
                continue  # done, hidden, or still being written by the camera
            if not low.endswith(IMAGE_SUFFIXES):
                if name not in self.ignored:
                    self.ignored.add(name)
                    print(f'station: ignoring {entry.path}: not a picture name '
                          f'({", ".join(IMAGE_SUFFIXES)})', file=sys.stderr)
                continue
            try:
                st = entry.stat()
            except FileNotFoundError:  # renamed or deleted since the listing
                continue
            if not entry.is_file():
                continue
            seen = self.first_seen.setdefault(name, now)
            if st.st_size == 0:
                if now - seen < self.empty_settle:
                    continue
            elif now - st.st_mtime < self.settle:
                continue
            self.taken.add(name)
            self.first_seen.pop(name, None)
            ready.append(Arrival(entry.path, st.st_size, st.st_mtime))
        ready.sort(key=lambda a: (a.arrived_at, a.path))
        return ready


def read_picture(path: str) -> Tuple[Optional[bytes], Optional[np.ndarray], Optional[str]]:
    """The bytes of a file, the BGR picture decoded from them, and what is wrong.

    Returns:
        tuple: ``(data, img, error)``: ``data`` None when the file is gone (``error``
        says so); ``img`` None when the bytes are not a complete picture (``error`` says
        why: empty, truncated, or not decodable).

    Example:
        >>> import tempfile
        >>> path = osp.join(tempfile.mkdtemp(), 'cut.jpg')
        >>> ok, jpg = cv2.imencode('.jpg', np.zeros((8, 8, 3), np.uint8))
        >>> _ = open(path, 'wb').write(jpg.tobytes()[:-20])
        >>> read_picture(path)[2]
        'truncated JPEG: no end-of-image marker (the file was cut short)'
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except FileNotFoundError:
        return None, None, 'the file was removed before it could be read'
    except OSError as err:
        return None, None, f'cannot read the file: {err}'
    if not data:
        return data, None, 'empty file (0 bytes)'
    if data[:3] == b'\xff\xd8\xff' and b'\xff\xd9' not in data[-64:]:
        return data, None, 'truncated JPEG: no end-of-image marker (the file was cut short)'
    if data[:8] == b'\x89PNG\r\n\x1a\n' and b'IEND' not in data[-16:]:
        return data, None, 'truncated PNG: no IEND chunk (the file was cut short)'
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return data, None, 'not a readable picture (corrupt, or not an image format)'
    return data, img, None


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
        progress (bool): A status line on the terminal (pictures done, backlog, img/s).
            Defaults to True.

    Raises:
        ValueError: A bad argument (named with its value).
    """

    def __init__(self, model, db, folder: str, score_thr: Optional[ScoreThr] = None,
                 batch_size: int = 32,
                 tile_size='auto', tile_overlap: int = 64, poll_interval: float = 0.1,
                 settle: float = 0.25, empty_settle: float = 2.0,
                 progress: bool = True) -> None:
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        # ValueError names a bad one
        self.thresholds, self.score_thr_source = model_thresholds(model, score_thr)
        if poll_interval <= 0:
            raise ValueError(f'poll_interval must be > 0 s, got {poll_interval}')
        self.model = model
        self.db = db
        self.watcher = FolderWatcher(folder, settle, empty_settle)
        self.classes = list(model.dataset_meta['classes'])
        self.score_thr = self.thresholds
        self.batch_size = batch_size
        self.tile_size = tile_size
        self.tile_overlap = tile_overlap
        self.poll_interval = poll_interval
        self.progress = progress
        self.name = f'{socket.gethostname()}:{os.getpid()}'
        self.backlog: Deque[Arrival] = deque()
        self.stop_requested = False
        self.stats = dict(recorded=0, skipped_recorded=0, defective=0, unreadable=0,
                          vanished=0, batches=0, backlog=0)

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
        inferred): ``(started, [(arrival, key, data, img, error), ...])``."""
        started = time.time()
        read = []
        for arrival in batch:
            data, img, error = read_picture(arrival.path)
            if data is None:
                self.stats['vanished'] += 1
                print(f'station: {arrival.path}: {error}; not recorded', file=sys.stderr)
                continue
            read.append((arrival, picture_key(data, arrival.path), data, img, error))
        return started, read

    def _record(self, started: float, read: list) -> None:
        """Inspect what :meth:`_read` read and record it in one transaction."""
        seen = self.db.recorded(key for _, key, _, _, _ in read)
        fresh = []
        for entry in read:
            if entry[1] in seen:  # recorded before, or twice in this batch: recorded once
                self.stats['skipped_recorded'] += 1
            else:
                seen.add(entry[1])
                fresh.append(entry)
        pictures = [img for _, _, _, img, _ in fresh if img is not None]
        found = iter(())
        if pictures:
            tile, above, _ = resolve_tiling(self.model, self.tile_size, pictures)
            found = iter(detect_many(self.model, pictures, self.score_thr, tile,
                                     self.tile_overlap, self.batch_size, above))
        items = []
        for arrival, key, data, img, error in fresh:
            item = dict(path=arrival.path, sha256=key, size_bytes=len(data),
                        arrived_at=arrival.arrived_at)
            if img is None:
                self.stats['unreadable'] += 1
                print(f'station: {arrival.path}: {error}; recorded as unreadable',
                      file=sys.stderr)
                items.append(dict(item, status='unreadable', error=error))
                continue
            h, w = img.shape[:2]
            records = defect_records(*next(found), self.classes, w, h)
            self.stats['defective'] += bool(records)
            items.append(dict(item, width=w, height=h, status='defect' if records else 'clean',
                              defects=[dict(r, cls=r['class']) for r in records]))
        if items:
            self.db.record_batch(items, station=self.name, started_at=started)
            self.stats['batches'] += 1
        self.stats['recorded'] += len(items)
        if MALLOC_TRIM is not None:
            MALLOC_TRIM(0)

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
            dict: Counts: ``recorded``, ``skipped_recorded`` (content recorded before for
            this model), ``defective``, ``unreadable``, ``vanished`` (removed before they
            could be read), ``batches``, ``backlog`` (left when stopped), ``seconds``.
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
            if ahead is None:
                ahead = next_batch()
            if ahead is None:
                if stop_when_idle is not None and time.time() - last_arrival >= stop_when_idle:
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
        self.stats['backlog'] += len(self.backlog)
        self.stats['seconds'] = round(time.time() - start, 3)
        return dict(self.stats)


class StationLock:
    """One station per (database, watched folder): a second one is refused by name.

    An advisory ``fcntl`` lock on a file beside the database, which the operating system
    drops when its process ends, however it ends (SIGKILL and power loss included): a
    crashed station never blocks its restart. Stations watching other folders may share
    the database (SQLite serialises their transactions).

    Args:
        db_path (str): The results database.
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

    def __init__(self, db_path: str, folder: str) -> None:
        tag = hashlib.sha1(osp.realpath(folder).encode()).hexdigest()[:10]
        self.path = f'{db_path}.station-{tag}.lock'
        self.db_path = db_path
        self.folder = folder
        self.handle = None

    def acquire(self) -> 'StationLock':
        import fcntl
        handle = open(self.path, 'a+')
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or 'unknown'
            handle.close()
            raise RuntimeError(
                f'another station ({holder}) is already watching {self.folder} into '
                f'{self.db_path}; stop it first, or watch another folder (lock file '
                f'{self.path})')
        handle.seek(0)
        handle.truncate()
        handle.write(f'{socket.gethostname()}:{os.getpid()} since '
                     f'{time.strftime("%Y-%m-%d %H:%M:%S")}\n')
        handle.flush()
        self.handle = handle
        return self

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()  # closing drops the lock
            self.handle = None

    def __enter__(self) -> 'StationLock':
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


__all__ = ['Arrival', 'FolderWatcher', 'InspectionStation', 'StationLock', 'TEMP_SUFFIXES',
           'picture_key', 'read_picture']
