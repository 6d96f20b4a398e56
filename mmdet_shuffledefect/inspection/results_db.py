"""A record of every inspected picture, its defects and the model that found them, in an
SQLite file or a PostgreSQL server (:mod:`.db_dialects`).

One transaction per batch: a batch is recorded whole or not at all, so a killed process
leaves no detection without its picture and no half-written batch. A picture is
identified by its **arrival**: the absolute path it arrived under, its size, its
modification time and its content hash (:func:`.picture_identity.arrival_key`). So a name a camera reuses
for a new picture is a new arrival, inspected and recorded; the same bytes under another
name are recorded under that name (the row says ``same_as`` the first); and the same
arrival is never recorded twice for one model (config, weights, backend, precision,
score threshold), whatever restarts happen.

Tables:
    models(id, config, weights_sha256, backend, precision, score_thr, created_at)
    batches(id, model_id, station, started_at, committed_at, images): one row per
           transaction, written in it, so ``images`` of a batch always equals the images
           recorded with its id (a check that no batch was half-written)
    images(id, model_id, batch_id, path (readable text), path_raw (the name's bytes),
           arrival, sha256, size_bytes, mtime_ns, arrived_at, inspected_at, width, height,
           status: defect|clean|unreadable, error, same_as)
    detections(id, image_id, class, score, x1, y1, x2, y2, area_px, area_pct)

Example:
    >>> import tempfile, os.path as osp
    >>> db = ResultsDB(osp.join(tempfile.mkdtemp(), 'r.sqlite'), dict(
    ...     config='c.py', weights_sha256='ab', backend='pytorch', precision='f32', score_thr=0.3))
    >>> db.record_batch([dict(path='/line/a.jpg', sha256='1', size_bytes=3, width=2, height=2,
    ...                       status='defect', defects=[dict(cls='scratches', score=0.9,
    ...                       box=[0, 0, 1, 1], area_px=1.0, area_pct=25.0)])])
    1
    >>> db.counts(), db.check_integrity()
    ({'images': 1, 'detections': 1}, [])
"""
import os
import time
from typing import Dict, Iterable, Optional, Sequence

from .db_checks import integrity_problems, recorded_count
from .db_dialects import (SCHEMA, DatabaseFault, dialect_for, fault_text, is_url, run,
                          run_many)
from .db_schema import create_tables
from .picture_files import name_bytes, shown_name
from .picture_identity import arrival_key
# moved to .picture_identity on 2026-12-05; importable here (and through the
# apis.results_db alias) for one release
from .picture_identity import content_hashes, legacy_key, picture_key, sha256_file  # noqa: F401

#: fields of :data:`SCHEMA`'s ``models`` row that name a model
MODEL_FIELDS = ('config', 'weights_sha256', 'backend', 'precision', 'score_thr')
#: columns an ``images`` row is written with, in this order
IMAGE_COLUMNS = ('model_id', 'batch_id', 'path', 'path_raw', 'arrival', 'sha256',
                 'size_bytes', 'mtime_ns', 'arrived_at', 'inspected_at', 'width', 'height',
                 'status', 'error', 'same_as')
#: errors of a picture a camera had not finished writing: a later complete write of the
#: same name replaces such a row instead of adding a second one
UNFINISHED_ERRORS = ('truncated', 'empty file')


class ResultsDB:
    """The inspection record (see the module docstring).

    Args:
        path (str): The SQLite file (created with its folder when missing) or a
            ``postgresql://`` URL.
        model (dict): :data:`MODEL_FIELDS` of the model whose results are recorded.
        timeout (float): Seconds to wait for another writer's lock before a write fails
            with :class:`~.db_dialects.DatabaseFault`. Defaults to 30.

    Raises:
        ValueError: A model field is missing, or ``path`` is not a database of this
            schema (the message names it).
        DatabaseFault: The database cannot be opened now (locked, server down).
    """

    def __init__(self, path: str, model: Dict, timeout: float = 30.0) -> None:
        missing = [k for k in MODEL_FIELDS if k not in model]
        if missing:
            raise ValueError(f'model description lacks {missing}')
        self.path = path
        self.dialect = dialect_for(path, timeout)
        self.model = dict(model)
        self._open()

    def _open(self) -> None:
        """Connect, create or update the tables, find (or add) this model's row."""
        path, model = self.path, self.model
        try:
            self.conn = self.dialect.connect()
            create_tables(self.dialect, self.conn)
            self._file_id = self._current_file_id()
            values = [model[k] if k != 'score_thr' or not is_url(path) else str(model[k])
                      for k in MODEL_FIELDS]
            with self.dialect.transaction(self.conn):
                self._run('INSERT INTO models (config, weights_sha256, backend, precision, '
                          'score_thr, created_at) VALUES (?, ?, ?, ?, ?, ?) '
                          'ON CONFLICT DO NOTHING', values + [time.time()])
            self.model_id = self._run(
                'SELECT id FROM models WHERE config=? AND weights_sha256=? AND backend=? AND '
                'precision=? AND score_thr=?', values).fetchone()[0]
        except (DatabaseFault, ValueError):
            raise
        except Exception as err:  # noqa: BLE001 -- every driver's error, said in one line
            if self.dialect.is_fault(err) and 'not a database' not in str(err) \
                    and 'malformed' not in str(err):
                raise DatabaseFault(fault_text(self.dialect, err, 'cannot open')) from err
            raise ValueError(f'{path} is not a usable results database: {err}') from err

    def _current_file_id(self) -> Optional[tuple]:
        """The SQLite file's identity (device, inode); None for a server or in memory."""
        if self.dialect.name != 'sqlite' or self.path == ':memory:':
            return None
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return ('missing', )
        return st.st_dev, st.st_ino

    def _check_file(self) -> None:
        """A file removed or replaced under an open connection would take every later
        record with it: reopen at the path and say so (a :class:`DatabaseFault`; the
        station retries into the new file)."""
        if self._file_id is None or self._current_file_id() == self._file_id:
            return
        self.conn.close()
        self._open()
        raise DatabaseFault(f'{self.path}: the database file was removed or replaced while '
                            'in use; a new record is started at that path (the removed '
                            "file's records are not in it)")

    def _run(self, text: str, params: Sequence = ()):
        return run(self.dialect, self.conn, text, params)

    def _fault(self, err: BaseException, doing: str):
        """``err`` as a :class:`DatabaseFault` when it is one (else ``err`` itself)."""
        if isinstance(err, DatabaseFault) or not self.dialect.is_fault(err):
            return err
        return DatabaseFault(fault_text(self.dialect, err, doing))

    def recorded(self, arrivals: Iterable[str]) -> set:
        """The ones of ``arrivals`` (:func:`.picture_identity.arrival_key` / ``legacy_key``) already
        recorded for this model.

        Raises:
            DatabaseFault: The database cannot be read now.
        """
        keys = list(arrivals)
        found = set()
        try:
            for i in range(0, len(keys), 500):
                part = keys[i:i + 500]
                rows = self._run(
                    f'SELECT arrival FROM images WHERE model_id=? AND arrival IN '
                    f'({",".join("?" * len(part))})', [self.model_id] + part)
                found.update(r[0] for r in rows)
        except Exception as err:  # noqa: BLE001
            raise self._fault(err, 'cannot read the record') from err
        return found

    def is_recorded(self, arrival: str) -> bool:
        """Whether this arrival is recorded for this model."""
        return arrival in self.recorded([arrival])

    def _row(self, item: Dict, batch_id: int, now: float) -> list:
        path = item['path']
        size, mtime_ns = item.get('size_bytes'), item.get('mtime_ns')
        arrival = item.get('arrival') or arrival_key(path, size, mtime_ns, item['sha256'])
        return [self.model_id, batch_id, shown_name(path), name_bytes(path), arrival,
                item['sha256'], size, mtime_ns, item.get('arrived_at'), now,
                item.get('width'), item.get('height'), item['status'], item.get('error'),
                None]

    def _select_in(self, text: str, values: list) -> list:
        """Rows of ``text`` (with one ``{}`` for an ``IN`` list after ``model_id=?``) for
        ``values``, 500 at a time: one query per 500, not one per picture."""
        rows = []
        for i in range(0, len(values), 500):
            part = values[i:i + 500]
            rows += self._run(text.format(', '.join('?' * len(part))),
                              [self.model_id] + part).fetchall()
        return rows

    def _earlier_rows(self, rows: list) -> tuple:
        """For a batch's rows: path_raw -> (id, error, size) of that name's latest
        unreadable row, and sha256 -> [(id, path_raw)] of the rows with that content."""
        unreadable = {bytes(raw): (i, err, size) for i, raw, err, size in self._select_in(
            "SELECT id, path_raw, error, size_bytes FROM images WHERE model_id=? AND "
            "status='unreadable' AND path_raw IN ({}) ORDER BY id", list({r[3] for r in rows}))}
        content: Dict[str, list] = {}
        shas = list({r[5] for r in rows if r[5] and not r[5].startswith('empty:')})
        for i, sha, raw in self._select_in(
                'SELECT id, sha256, path_raw FROM images WHERE model_id=? AND sha256 IN ({}) '
                'ORDER BY id', shas):
            content.setdefault(sha, []).append((i, bytes(raw)))
        return unreadable, content

    @staticmethod
    def _replaced_unfinished(row: list, unreadable: Dict) -> Optional[int]:
        """The id of this name's row that recorded an unfinished write (truncated or
        empty, no larger than this arrival), which this arrival replaces; else None."""
        found = unreadable.get(row[3])
        if found is None or not str(found[1] or '').startswith(UNFINISHED_ERRORS):
            return None
        return found[0] if (found[2] or 0) <= (row[6] or 0) else None

    def record_batch(self, items: Sequence[Dict], station: Optional[str] = None,
                     started_at: Optional[float] = None) -> Optional[int]:
        """Record a batch of pictures and their defects in one transaction.

        Each item: ``path``, ``sha256``, ``status`` and optionally ``arrival`` (else
        :func:`.picture_identity.arrival_key` of the path, ``size_bytes``, ``mtime_ns`` and ``sha256``),
        ``size_bytes``, ``mtime_ns``, ``arrived_at``, ``width``, ``height``, ``error`` and
        ``defects`` (dicts with ``cls``, ``score``, ``box``, ``area_px``, ``area_pct``).
        An arrival recorded before for this model is left as it is; a picture whose
        earlier write of the same name was recorded as unfinished (truncated, empty)
        replaces that row; the same content recorded under another name is said in
        ``same_as``.

        Args:
            items (Sequence[dict]): The batch.
            station (str, optional): Who recorded it (host:pid, say), kept in ``batches``.
            started_at (float, optional): When the batch's work began (epoch seconds).

        Returns:
            int | None: The batch's id in ``batches``, None when every picture of it was
            recorded before.

        Raises:
            DatabaseFault: The database cannot be written now (nothing of the batch is).
        """
        try:
            self._check_file()
            return self._record_batch(items, station, started_at)
        except Exception as err:  # noqa: BLE001
            raise self._fault(err, f'cannot record {len(items)} pictures') from err

    def _record_batch(self, items, station, started_at) -> Optional[int]:
        now = time.time()
        with self.dialect.transaction(self.conn):  # the whole batch or nothing
            batch_id = self._run(
                'INSERT INTO batches (model_id, station, started_at, committed_at, images) '
                'VALUES (?, ?, ?, ?, 0) RETURNING id',
                (self.model_id, station, now if started_at is None else started_at,
                 now)).fetchone()[0]
            inserted = 0
            rows = [self._row(item, batch_id, now) for item in items]
            unreadable, content = self._earlier_rows(rows)
            for item, row in zip(items, rows):
                image_id = None
                if item['status'] != 'unreadable' or not str(
                        item.get('error') or '').startswith(UNFINISHED_ERRORS):
                    replaced = self._replaced_unfinished(row, unreadable)
                    if replaced is not None:  # a later complete write of the same arrival
                        self._run('UPDATE images SET arrival=?, sha256=?, size_bytes=?, '
                                  'mtime_ns=?, arrived_at=?, inspected_at=?, width=?, '
                                  'height=?, status=?, error=? WHERE id=?',
                                  row[4:14] + [replaced])
                        unreadable.pop(row[3])
                        image_id = replaced
                if image_id is None:
                    first = next((i for i, raw in content.get(row[5], ()) if raw != row[3]),
                                 None)
                    row[14] = first  # the same content recorded under another name
                    found = self._run(
                        f'INSERT INTO images ({", ".join(IMAGE_COLUMNS)}) VALUES '
                        f'({", ".join("?" * len(IMAGE_COLUMNS))}) ON CONFLICT DO NOTHING '
                        'RETURNING id', row).fetchone()
                    if found is None:
                        continue
                    image_id = found[0]
                    inserted += 1
                    if row[5] and not row[5].startswith('empty:'):
                        content.setdefault(row[5], []).append((image_id, row[3]))
                run_many(self.dialect, self.conn,
                         'INSERT INTO detections (image_id, class, score, x1, y1, x2, y2, '
                         'area_px, area_pct) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                         [(image_id, d['cls'], float(d['score']), *map(float, d['box']),
                           d.get('area_px'), d.get('area_pct'))
                          for d in item.get('defects', ())])
            if inserted:  # committed_at: the last moment before the commit
                self._run('UPDATE batches SET images=?, committed_at=? WHERE id=?',
                          (inserted, time.time(), batch_id))
            else:
                self._run('DELETE FROM batches WHERE id=?', (batch_id, ))
        return batch_id if inserted else None

    def check_integrity(self) -> list:
        """What is wrong with the record, in words (empty when nothing is); see
        :func:`.db_checks.integrity_problems`.

        Example:
            >>> db = ResultsDB(':memory:', dict(config='c', weights_sha256='w',
            ...                backend='pytorch', precision='f32', score_thr=0.3))
            >>> db.check_integrity()
            []
        """
        return integrity_problems(self._run)

    def counts(self) -> Dict[str, int]:
        """Pictures and detections recorded for this model."""
        images = self._run('SELECT COUNT(*) FROM images WHERE model_id=?',
                           (self.model_id, )).fetchone()[0]
        dets = self._run(
            'SELECT COUNT(*) FROM detections d JOIN images i ON d.image_id = i.id '
            'WHERE i.model_id=?', (self.model_id, )).fetchone()[0]
        return {'images': images, 'detections': dets}

    def close(self) -> None:
        self.conn.close()


__all__ = ['DatabaseFault', 'MODEL_FIELDS', 'ResultsDB', 'SCHEMA', 'recorded_count',
           # moved to .picture_identity, kept for one release:
           'arrival_key', 'content_hashes', 'legacy_key', 'picture_key', 'sha256_file']
