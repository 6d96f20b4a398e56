"""What the shift's page shows, read from an inspection database (SQLite file or
PostgreSQL URL) opened read-only: the pictures and defects of a time window, for one model,
the latest or all.

Example:
    >>> data = load_report_data('line1.sqlite', since=time.time() - 8 * 3600)  # doctest: +SKIP
    >>> len(data['images']), data['shown_models']                               # doctest: +SKIP
"""
import os.path as osp
import re
import sqlite3
import time
from typing import Dict, List, Optional, Sequence

from .db_dialects import DatabaseFault, dialect_for, run


def parse_when(text: str, now: Optional[float] = None) -> float:
    """A ``--since`` / ``--until`` value as epoch seconds: local date-time
    (``2026-12-02``, ``2026-12-02 06:00``, ``2026-12-02T06:00:30``) or an age
    (``30m``, ``8h``, ``2d``: that long before now).

    Raises:
        ValueError: Neither form (the message shows both).

    Example:
        >>> parse_when('8h', now=100000.0)
        71200.0
    """
    now = time.time() if now is None else now
    match = re.fullmatch(r'\s*(\d+(?:\.\d+)?)\s*([smhd])\s*', text)
    if match:
        unit = dict(s=1, m=60, h=3600, d=86400)[match.group(2)]
        return now - float(match.group(1)) * unit
    for fmt in ('%Y-%m-%d', '%Y-%m-%d %H:%M', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M',
                '%Y-%m-%dT%H:%M:%S'):
        try:
            return time.mktime(time.strptime(text.strip(), fmt))
        except ValueError:
            continue
    raise ValueError(f"expected a local date-time such as '2026-12-02 06:00' or an age such "
                     f"as '8h' / '30m' / '2d', got {text!r}")


def open_readonly(db_path: str):
    """The database, read only, opened by its path (never as a URI built from the text)
    or by its ``postgresql://`` URL; refuses one that is not an inspection database.

    Returns:
        tuple: ``(dialect, connection)``.

    Raises:
        ValueError: Missing file, not a database, or without the inspection tables (named).
    """
    dialect = dialect_for(db_path)
    if dialect.name == 'sqlite' and not osp.isfile(db_path):
        raise ValueError(f'database {db_path} does not exist')
    try:
        conn = dialect.connect(read_only=True)
        tables = dialect.tables(conn)
    except DatabaseFault as err:
        raise ValueError(str(err)) from err
    except sqlite3.DatabaseError as err:
        raise ValueError(f'{db_path} is not an SQLite database: {err}') from err
    missing = {'models', 'images', 'detections'} - tables
    if missing:
        conn.close()
        raise ValueError(f'{dialect.describe()} is not an inspection database (written by '
                         f'tools/inspection_station.py or inspect_defects.py --db): no '
                         f'{", ".join(sorted(missing))} table')
    return dialect, conn


def _model_choice(model, models: Sequence, counts: Dict[int, int]) -> List[int]:
    """The model ids the page shows: ``'latest'`` (the newest model with pictures in the
    window), ``'all'``, or one id."""
    ids = [m[0] for m in models]
    if model == 'all':
        return ids
    if model == 'latest':
        with_pictures = [i for i in ids if counts.get(i)]
        return [max(with_pictures)] if with_pictures else ids[-1:]
    try:
        wanted = int(model)
    except (TypeError, ValueError):
        raise ValueError(f"model: expected 'latest', 'all' or a model id, got {model!r}")
    if wanted not in ids:
        raise ValueError(f'model {wanted} is not in the database (ids: '
                         f'{", ".join(map(str, ids)) or "none"})')
    return [wanted]


def load_report_data(db_path: str, since: Optional[float] = None,
                     until: Optional[float] = None, model='latest') -> Dict:
    """What the page shows, read from the database: pictures and detections inspected in
    ``[since, until]`` (epoch seconds; None: no bound) by the chosen model(s), the models,
    the class names.

    Args:
        db_path (str): An SQLite file or a ``postgresql://`` URL.
        since, until (float, optional): The window.
        model: ``'latest'`` (default: the newest model with pictures in the window; the
            same pictures recorded again by another model or threshold are not counted
            twice), ``'all'`` (every model, broken down by model) or a model id.

    Returns:
        dict: ``images`` (id, path, inspected_at, status, error, width, height, model_id,
        sha256, path_raw), ``detections`` (image_id, class, score, x1, y1, x2, y2,
        area_pct), ``by_image`` (image id -> its detections), ``models`` (with a picture
        count each), ``shown_models`` (ids), ``classes`` (sorted), ``db``, ``since``,
        ``until``.
    """
    dialect, conn = open_readonly(db_path)
    try:
        lo = -1e300 if since is None else since
        hi = 1e300 if until is None else until
        models = run(dialect, conn, 'SELECT id, config, weights_sha256, backend, precision, '
                     'score_thr FROM models ORDER BY id').fetchall()
        counts = dict(run(dialect, conn, 'SELECT model_id, COUNT(*) FROM images WHERE '
                          'inspected_at BETWEEN ? AND ? GROUP BY model_id', (lo, hi)).fetchall())
        shown = _model_choice(model, models, counts)
        marks = ', '.join('?' * len(shown)) or 'NULL'
        images = run(dialect, conn,
                     'SELECT id, path, inspected_at, status, error, width, height, model_id, '
                     f'sha256, path_raw FROM images WHERE inspected_at BETWEEN ? AND ? AND '
                     f'model_id IN ({marks}) ORDER BY inspected_at, id',
                     (lo, hi, *shown)).fetchall()
        detections = run(dialect, conn,
                         'SELECT d.image_id, d.class, d.score, d.x1, d.y1, d.x2, d.y2, '
                         'd.area_pct FROM detections d JOIN images i ON d.image_id = i.id '
                         f'WHERE i.inspected_at BETWEEN ? AND ? AND i.model_id IN ({marks}) '
                         'ORDER BY i.inspected_at, i.id, d.score DESC',
                         (lo, hi, *shown)).fetchall()
    finally:
        conn.close()
    by_image: Dict[int, list] = {}
    for det in detections:
        by_image.setdefault(det[0], []).append(det)
    return dict(db=dialect.describe(), since=since, until=until, images=images,
                detections=detections, by_image=by_image,
                models=[tuple(m) + (counts.get(m[0], 0), ) for m in models],
                shown_models=shown, classes=sorted({d[1] for d in detections}))


__all__ = ['load_report_data', 'open_readonly', 'parse_when']
