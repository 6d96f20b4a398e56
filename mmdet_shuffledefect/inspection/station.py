"""An inspection station: watch the folder a line camera writes into, inspect every
picture once it is complete, and record it in the results database.

A picture is taken when it is complete: its size and modification time have stayed
unchanged for ``settle`` seconds **of the station's own clock** (a file server's clock is
never compared with it); names with a temporary suffix (``frame.jpg.tmp`` before its
rename) are never taken. A JPEG/PNG still cut short when read is read again as it grows,
until ``write_timeout``, and only then recorded unreadable (once; a later complete write
of it replaces that row). Every arrival is its own picture (:func:`.picture_identity.arrival_key`):
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
import os
import signal
import socket
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Deque, Dict, List, Optional, Tuple

import numpy as np

from mmdet_shuffledefect.utils.score_thresholds import ScoreThr

from .db_dialects import DatabaseFault
from .folder_watcher import TEMP_SUFFIXES, Arrival, FolderWatcher, say
from .heap_trim import MALLOC_TRIM
from .pending_batch import PendingBatch
from .picture_files import DEFAULT_MAX_PIXELS, DEFAULT_MIN_SIDE, read_picture, shown_name
from .picture_identity import arrival_key, legacy_key, picture_key
from .predict import defect_records, detect_many, model_thresholds, predict_batch
from .station_lock import StationLock
from .tiling import model_input_side, resolve_tiling


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
        self.stop_requested = False
        self.stats = dict(recorded=0, skipped_recorded=0, defective=0, unreadable=0,
                          refused=0, vanished=0, rereads=0, batches=0, backlog=0,
                          db_faults=0, unrecorded_at_stop=0)
        self.pending = PendingBatch(db, self.name, self.stats)  # a batch the db refused

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
                say(f'{shown_name(arrival.path)}: {error}; not recorded')
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
                say(f'{shown_name(arrival.path)}: {error}; recorded as unreadable')
                items.append(dict(item, status='unreadable', error=error))
                continue
            h, w = img.shape[:2]
            records = defect_records(*next(found), self.classes, w, h)
            self.stats['defective'] += bool(records)
            items.append(dict(item, width=w, height=h, status='defect' if records else 'clean',
                              defects=[dict(r, cls=r['class']) for r in records]))
        if items:
            self.pending.record(started, items)
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
        start = self._last_arrival = time.time()
        self._last_poll = -float('inf')
        bar = tqdm(desc='station', unit='img', disable=not self.progress, mininterval=1.0,
                   dynamic_ncols=True)
        # one thread reads and decodes the next batch while this one is inferred (file
        # reads, hashing and JPEG decoding release the GIL); nothing is recorded there
        reader = ThreadPoolExecutor(1, thread_name_prefix='station-read')
        ahead = None  # (future of _read, pictures in it)
        while not self.stop_requested:
            self._poll_if_due()
            if self.pending.held:  # the database failed: retry before more work
                if not self.pending.due() or not self.pending.commit():
                    time.sleep(self.poll_interval)
                    continue
            if ahead is None:
                ahead = self._next_batch(reader, max_images)
            if ahead is None:
                if self._idle_for(stop_when_idle):
                    break
                time.sleep(self.poll_interval)
                continue
            current, ahead = ahead, None
            started, read = current[0].result()
            if self.backlog:
                ahead = self._next_batch(reader, max_images, in_flight=current[1])
            self._record_shown(started, read, bar, ahead)
            if max_images is not None and self.stats['recorded'] >= max_images:
                break
        bar.close()
        self._stop(reader, ahead)
        self.stats['seconds'] = round(time.time() - start, 3)
        return dict(self.stats)

    _last_poll = -float('inf')
    _last_arrival = 0.0

    def _poll_if_due(self) -> None:
        """Look at the folder when the backlog cannot fill a batch, else once a second (a
        listing of a folder of 10,000 pictures is not free)."""
        since = time.time() - self._last_poll
        if ((len(self.backlog) < self.batch_size and since >= self.poll_interval)
                or not self.backlog or since >= 1.0):
            self._last_poll = time.time()
            arrivals = self.watcher.poll()
            if arrivals:
                self.backlog.extend(arrivals)
                self._last_arrival = time.time()

    def _next_batch(self, reader: ThreadPoolExecutor, max_images: Optional[int],
                    in_flight: int = 0):
        """Pop the next batch and start reading it in ``reader``: ``(future, pictures)``,
        None when there is nothing to take (or ``max_images`` is reached)."""
        take = self.batch_size
        if max_images is not None:
            take = min(take, max_images - self.stats['recorded'] - in_flight)
        batch = [self.backlog.popleft() for _ in range(max(0, min(take, len(self.backlog))))]
        return (reader.submit(self._read, batch), len(batch)) if batch else None

    def _idle_for(self, stop_when_idle: Optional[float]) -> bool:
        """Whether nothing has arrived for ``stop_when_idle`` s and nothing is being
        written (never, without ``stop_when_idle``)."""
        return (stop_when_idle is not None
                and time.time() - self._last_arrival >= stop_when_idle
                and not self.watcher.watching)

    def _record_shown(self, started: float, read: list, bar, ahead) -> None:
        """:meth:`_record` a batch and move the status line on."""
        before = self.stats['recorded'] + self.stats['skipped_recorded']
        self._record(started, read)
        bar.update(self.stats['recorded'] + self.stats['skipped_recorded'] - before)
        bar.set_postfix(backlog=len(self.backlog) + (ahead[1] if ahead else 0),
                        defective=self.stats['defective'],
                        unreadable=self.stats['unreadable'], refresh=False)

    def _stop(self, reader: ThreadPoolExecutor, ahead) -> None:
        """Stop: a batch read ahead goes back to the backlog's count; a batch the database
        did not take is tried once more, else said (its files are inspected at the next
        start)."""
        if ahead is not None:
            self.stats['backlog'] += ahead[1]
            ahead[0].result()
        reader.shutdown()
        self.stats['unrecorded_at_stop'] = self.pending.give_up()
        self.stats['backlog'] += len(self.backlog)


__all__ = ['Arrival', 'FolderWatcher', 'InspectionStation', 'StationLock', 'TEMP_SUFFIXES',
           'picture_key', 'read_picture']
