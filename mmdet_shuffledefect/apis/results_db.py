"""An SQLite record of every inspected image, its defects and the model that found them.

One file, WAL mode (readers do not block the inspection), foreign keys on, and one
transaction per batch: a batch is recorded whole or not at all, so a killed process leaves
no detection without its image and no half-written batch. An image is identified by its
content (sha256): one already recorded for the same model (config, weights, backend,
precision, score threshold) is not inspected again.

Tables:
    models(id, config, weights_sha256, backend, precision, score_thr, created_at)
    batches(id, model_id, station, started_at, committed_at, images): one row per
           transaction, written in it, so ``images`` of a batch always equals the images
           recorded with its id (a check that no batch was half-written)
    images(id, model_id, batch_id, path, sha256, size_bytes, arrived_at, inspected_at, width,
           height, status: defect|clean|unreadable, error)
    detections(id, image_id, class, score, x1, y1, x2, y2, area_px, area_pct)

Example:
    >>> import tempfile, os.path as osp
    >>> db = ResultsDB(osp.join(tempfile.mkdtemp(), 'r.sqlite'), dict(
    ...     config='c.py', weights_sha256='ab', backend='pytorch', precision='f32', score_thr=0.3))
    >>> db.record_batch([dict(path='a.jpg', sha256='1', size_bytes=3, width=2, height=2,
    ...                       status='defect', defects=[dict(cls='scratches', score=0.9,
    ...                       box=[0, 0, 1, 1], area_px=1.0, area_pct=25.0)])])
    >>> db.is_recorded('1'), db.counts()
    (True, {'images': 1, 'detections': 1})
    >>> db.check_integrity()
    []
"""
import hashlib
import os
import sqlite3
import time
from typing import Dict, Iterable, Optional, Sequence

SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    id INTEGER PRIMARY KEY,
    config TEXT NOT NULL, weights_sha256 TEXT NOT NULL, backend TEXT NOT NULL,
    precision TEXT NOT NULL, score_thr REAL NOT NULL, created_at REAL NOT NULL,
    UNIQUE (config, weights_sha256, backend, precision, score_thr));
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY,
    model_id INTEGER NOT NULL REFERENCES models(id),
    station TEXT, started_at REAL NOT NULL, committed_at REAL NOT NULL,
    images INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS images (
    id INTEGER PRIMARY KEY,
    model_id INTEGER NOT NULL REFERENCES models(id),
    batch_id INTEGER REFERENCES batches(id),
    path TEXT NOT NULL, sha256 TEXT NOT NULL, size_bytes INTEGER,
    arrived_at REAL, inspected_at REAL NOT NULL, width INTEGER, height INTEGER,
    status TEXT NOT NULL CHECK (status IN ('defect', 'clean', 'unreadable')), error TEXT,
    UNIQUE (model_id, sha256));
CREATE TABLE IF NOT EXISTS detections (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images(id),
    class TEXT NOT NULL, score REAL NOT NULL,
    x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
    area_px REAL, area_pct REAL);
CREATE INDEX IF NOT EXISTS detections_image ON detections(image_id);
CREATE INDEX IF NOT EXISTS images_time ON images(inspected_at);
"""

#: fields of :data:`SCHEMA`'s ``models`` row that name a model
MODEL_FIELDS = ('config', 'weights_sha256', 'backend', 'precision', 'score_thr')


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


class ResultsDB:
    """The inspection record (see the module docstring).

    Args:
        path (str): The SQLite file (created with its folder when missing).
        model (dict): :data:`MODEL_FIELDS` of the model whose results are recorded.

    Raises:
        ValueError: A model field is missing, or ``path`` is not an SQLite file of
            this schema (the message names the file).
    """

    def __init__(self, path: str, model: Dict) -> None:
        missing = [k for k in MODEL_FIELDS if k not in model]
        if missing:
            raise ValueError(f'model description lacks {missing}')
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        self.path = path
        try:
            self.conn = sqlite3.connect(path, timeout=30)
            self.conn.execute('PRAGMA journal_mode=WAL')
            self.conn.execute('PRAGMA foreign_keys=ON')
            self.conn.execute('PRAGMA synchronous=FULL')  # a committed batch survives power loss
            self.conn.executescript(SCHEMA)
            self._migrate()
        except sqlite3.DatabaseError as err:
            raise ValueError(f'{path} is not a usable results database: {err}') from err
        values = [model[k] for k in MODEL_FIELDS]
        with self.conn:
            self.conn.execute(
                'INSERT OR IGNORE INTO models (config, weights_sha256, backend, precision, '
                'score_thr, created_at) VALUES (?, ?, ?, ?, ?, ?)', values + [time.time()])
        self.model_id = self.conn.execute(
            'SELECT id FROM models WHERE config=? AND weights_sha256=? AND backend=? AND '
            'precision=? AND score_thr=?', values).fetchone()[0]

    def _migrate(self) -> None:
        """Bring a database of an earlier version to :data:`SCHEMA` (run after it, which
        adds the missing tables): images gained ``batch_id``, their old rows keep NULL."""
        columns = [r[1] for r in self.conn.execute('PRAGMA table_info(images)')]
        if 'batch_id' not in columns:
            with self.conn:
                self.conn.execute('ALTER TABLE images ADD COLUMN batch_id INTEGER '
                                  'REFERENCES batches(id)')

    def is_recorded(self, sha256: str) -> bool:
        """Whether an image with this content is recorded for this model."""
        return self.conn.execute('SELECT 1 FROM images WHERE model_id=? AND sha256=?',
                                 (self.model_id, sha256)).fetchone() is not None

    def recorded(self, hashes: Iterable[str]) -> set:
        """The ones of ``hashes`` already recorded for this model."""
        hashes = list(hashes)
        found = set()
        for i in range(0, len(hashes), 500):
            part = hashes[i:i + 500]
            rows = self.conn.execute(
                f'SELECT sha256 FROM images WHERE model_id=? AND sha256 IN '
                f'({",".join("?" * len(part))})', [self.model_id] + part)
            found.update(r[0] for r in rows)
        return found

    def record_batch(self, items: Sequence[Dict], station: Optional[str] = None,
                     started_at: Optional[float] = None) -> Optional[int]:
        """Record a batch of images and their defects in one transaction.

        Each item: ``path``, ``sha256``, ``status`` and optionally ``size_bytes``,
        ``arrived_at``, ``width``, ``height``, ``error`` and ``defects`` (dicts with
        ``cls``, ``score``, ``box``, ``area_px``, ``area_pct``). An image already recorded
        for this model is left as it is (with its detections).

        Args:
            items (Sequence[dict]): The batch.
            station (str, optional): Who recorded it (host:pid, say), kept in ``batches``.
            started_at (float, optional): When the batch's work began (epoch seconds).

        Returns:
            int | None: The batch's id in ``batches``, None when every image of it was
            recorded before.
        """
        now = time.time()
        with self.conn:  # one transaction: the whole batch or nothing
            batch_id = self.conn.execute(
                'INSERT INTO batches (model_id, station, started_at, committed_at, images) '
                'VALUES (?, ?, ?, ?, 0)', (self.model_id, station,
                                           now if started_at is None else started_at,
                                           now)).lastrowid
            inserted = 0
            for item in items:
                cur = self.conn.execute(
                    'INSERT OR IGNORE INTO images (model_id, batch_id, path, sha256, '
                    'size_bytes, arrived_at, inspected_at, width, height, status, error) '
                    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                    (self.model_id, batch_id, item['path'], item['sha256'],
                     item.get('size_bytes'), item.get('arrived_at'), now, item.get('width'),
                     item.get('height'), item['status'], item.get('error')))
                if cur.rowcount == 0:
                    continue
                inserted += 1
                self.conn.executemany(
                    'INSERT INTO detections (image_id, class, score, x1, y1, x2, y2, area_px, '
                    'area_pct) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                    [(cur.lastrowid, d['cls'], float(d['score']), *map(float, d['box']),
                      d.get('area_px'), d.get('area_pct')) for d in item.get('defects', ())])
            if inserted:  # committed_at: the last moment before the commit
                self.conn.execute('UPDATE batches SET images=?, committed_at=? WHERE id=?',
                                  (inserted, time.time(), batch_id))
            else:
                self.conn.execute('DELETE FROM batches WHERE id=?', (batch_id, ))
        return batch_id if inserted else None

    def check_integrity(self) -> list:
        """What is wrong with the record, in words (empty when nothing is): detections
        without their image, batches whose image count differs from the images recorded
        with their id, images recorded twice for one model.

        Example:
            >>> db = ResultsDB(':memory:', dict(config='c', weights_sha256='w',
            ...                backend='pytorch', precision='f32', score_thr=0.3))
            >>> db.check_integrity()
            []
        """
        problems = []
        orphans = self.conn.execute(
            'SELECT COUNT(*) FROM detections d LEFT JOIN images i ON d.image_id = i.id '
            'WHERE i.id IS NULL').fetchone()[0]
        if orphans:
            problems.append(f'{orphans} detections without their image')
        for batch, expected, found in self.conn.execute(
                'SELECT b.id, b.images, (SELECT COUNT(*) FROM images i WHERE i.batch_id = b.id) '
                'FROM batches b').fetchall():
            if expected != found:
                problems.append(f'batch {batch}: {found} images recorded, {expected} committed')
        twice = self.conn.execute(
            'SELECT COUNT(*) FROM (SELECT 1 FROM images GROUP BY model_id, sha256 '
            'HAVING COUNT(*) > 1)').fetchone()[0]
        if twice:
            problems.append(f'{twice} images recorded more than once for one model')
        return problems

    def counts(self) -> Dict[str, int]:
        """Images and detections recorded for this model."""
        images = self.conn.execute('SELECT COUNT(*) FROM images WHERE model_id=?',
                                   (self.model_id, )).fetchone()[0]
        dets = self.conn.execute(
            'SELECT COUNT(*) FROM detections d JOIN images i ON d.image_id = i.id '
            'WHERE i.model_id=?', (self.model_id, )).fetchone()[0]
        return {'images': images, 'detections': dets}

    def close(self) -> None:
        self.conn.close()


def picture_key(data: bytes, path: str) -> str:
    """A picture's identity in the database: the sha256 of its content; empty files,
    which all share one hash, are told apart by name.

    Example:
        >>> picture_key(b'', '/line/a.jpg')
        'empty:a.jpg'
    """
    if not data:
        return 'empty:' + os.path.basename(path)
    return hashlib.sha256(data).hexdigest()


def recorded_count(path: str) -> int:
    """Images recorded in the database file ``path`` (all models), read only; 0 where the
    file is missing or not (yet) a database: what a watcher of a running station polls.

    Example:
        >>> recorded_count('/nonexistent/line.sqlite')
        0
    """
    if not os.path.exists(path):
        return 0
    try:
        conn = sqlite3.connect(f'file:{os.path.abspath(path)}?mode=ro', uri=True, timeout=5)
        try:
            return conn.execute('SELECT COUNT(*) FROM images').fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def content_hashes(paths: Sequence[str]) -> Dict[str, Optional[str]]:
    """path -> the picture's identity (:func:`picture_key`, the file hashed in chunks),
    None where it cannot be read."""
    out = {}
    for p in paths:
        try:
            out[p] = sha256_file(p) if os.path.getsize(p) else picture_key(b'', p)
        except OSError:
            out[p] = None
    return out


__all__ = ['MODEL_FIELDS', 'ResultsDB', 'SCHEMA', 'content_hashes', 'picture_key',
           'recorded_count', 'sha256_file']
