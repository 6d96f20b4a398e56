"""The batch a station has inspected and not yet recorded: one try to record it now, and
on a database fault the batch kept, the cause said once, and the next try backed off.

A database that cannot be written (locked, read-only, full, server down) loses nothing
and stops nothing: :class:`PendingBatch` holds the inspected pictures until the database
takes them, and the station goes on watching its folder meanwhile.
"""
import sys
import time
from typing import Dict, List, Optional

from .db_dialects import DatabaseFault
from .folder_watcher import say


class PendingBatch:
    """Holds one inspected batch until the results database takes it.

    Args:
        db (ResultsDB): Where the batch is recorded.
        station (str): The station's name, recorded with each batch.
        stats (dict): The station's counts; ``recorded``, ``batches`` and ``db_faults``
            are moved on here.
    """
    #: seconds between tries to record into a database that failed: doubling up to the last
    RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)

    def __init__(self, db, station: str, stats: Dict[str, int]) -> None:
        self.db = db
        self.station = station
        self.stats = stats
        self.items: Optional[List[dict]] = None
        self.started = 0.0
        self.tries = 0
        self.retry_at = 0.0
        self.last_fault: Optional[str] = None

    @property
    def held(self) -> bool:
        """Whether an inspected batch waits to be recorded."""
        return self.items is not None

    def due(self) -> bool:
        """Whether the backoff after the last failed try has passed."""
        return time.monotonic() >= self.retry_at

    def record(self, started: float, items: List[dict]) -> bool:
        """Hold ``items`` (inspected from ``started``, a time.time()) and try to record
        them: :meth:`commit`."""
        self.started, self.items = started, items
        return self.commit()

    def commit(self) -> bool:
        """Record the batch held; on a database fault keep it and say so once per cause
        (True: recorded, or nothing to record)."""
        if self.items is None:
            return True
        items = self.items
        try:
            batch = self.db.record_batch(items, station=self.station,
                                         started_at=self.started)
        except DatabaseFault as err:
            self.stats['db_faults'] += 1
            delay = self.RETRY_DELAYS[min(self.tries, len(self.RETRY_DELAYS) - 1)]
            if str(err) != self.last_fault:
                print(f'error: {err}; {len(items)} inspected pictures kept and their record '
                      f'retried every {delay:g}-{self.RETRY_DELAYS[-1]:g} s (the station '
                      'goes on watching)', file=sys.stderr, flush=True)
                self.last_fault = str(err)
            self.tries += 1
            self.retry_at = time.monotonic() + delay
            return False
        if self.tries:
            say(f'the database took the {len(items)} kept pictures after {self.tries} '
                'failed tries; recording again')
        self.items, self.tries, self.last_fault = None, 0, None
        self.stats['batches'] += batch is not None
        self.stats['recorded'] += len(items)
        return True

    def give_up(self) -> int:
        """At a stop: one last try; the pictures still not recorded are said (their files
        are inspected again at the next start) and counted (returned)."""
        if self.commit():
            return 0
        left = len(self.items)
        print(f'error: stopped with {left} inspected pictures not recorded '
              f'({self.last_fault}); their files are left as they are and the next start '
              'inspects them', file=sys.stderr, flush=True)
        return left
