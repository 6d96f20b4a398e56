"""Reading an inspection record without writing to it: what is wrong with it, and how many
pictures it holds (what a watcher of a running station polls).

Example:
    >>> recorded_count('/nonexistent/line.sqlite')
    0
"""
import os
from typing import Callable, List

from .db_dialects import dialect_for, is_url


def integrity_problems(query: Callable) -> List[str]:
    """What is wrong with the record, in words (empty when nothing is): detections without
    their picture, batches whose picture count differs from the pictures recorded with
    their id, arrivals recorded twice for one model.

    Args:
        query (Callable): ``query(sql, params=())`` returning a cursor on the record
            (``?`` placeholders, as :meth:`.results_db.ResultsDB._run`).
    """
    problems = []
    orphans = query(
        'SELECT COUNT(*) FROM detections d LEFT JOIN images i ON d.image_id = i.id '
        'WHERE i.id IS NULL').fetchone()[0]
    if orphans:
        problems.append(f'{orphans} detections without their image')
    for batch, expected, found in query(
            'SELECT b.id, b.images, (SELECT COUNT(*) FROM images i WHERE i.batch_id = b.id) '
            'FROM batches b').fetchall():
        if expected != found:
            problems.append(f'batch {batch}: {found} images recorded, {expected} committed')
    twice = query(
        'SELECT COUNT(*) FROM (SELECT 1 FROM images GROUP BY model_id, arrival '
        'HAVING COUNT(*) > 1) t').fetchone()[0]
    if twice:
        problems.append(f'{twice} arrivals recorded more than once for one model')
    return problems


def recorded_count(path: str) -> int:
    """Pictures recorded in the database ``path`` (a file, opened by its path, or a
    ``postgresql://`` URL; all models), read only; 0 where it is missing or not (yet) a
    database.

    Args:
        path (str): The SQLite file or ``postgresql://`` URL.
    """
    if not is_url(path) and not os.path.exists(path):
        return 0
    dialect = dialect_for(path, timeout=5)
    try:
        conn = dialect.connect(read_only=True)
    except Exception:  # noqa: BLE001 -- not (yet) a database, or the server not up
        return 0
    try:
        return conn.execute('SELECT COUNT(*) FROM images').fetchone()[0]
    except Exception:  # noqa: BLE001 -- no images table yet
        return 0
    finally:
        conn.close()


__all__ = ['integrity_problems', 'recorded_count']
