"""The two databases the inspection record lives in, behind one small layer.

SQLite (a file on the station's disk, the default) and PostgreSQL (one server for every
line of a plant, ``postgresql://user@host/db``, through psycopg 3) take the same SQL here:
``?`` placeholders (turned into ``%s`` for psycopg), ``ON CONFLICT DO NOTHING`` and
``RETURNING`` (SQLite >= 3.35). What differs is written once, in :class:`SQLiteDialect`
and :class:`PostgresDialect`: how to connect, the column types, what a fault looks like.

A database is named by a path (SQLite: opened as that file, never as a URI built from the
text, so ``%41`` or ``#`` in a name is just a name) or by a ``postgresql://`` URL.

Example:
    >>> dialect_for('line1.sqlite').name, dialect_for('postgresql://qa@plant/line').name
    ('sqlite', 'postgresql')
"""
import contextlib
import os
import re
import sqlite3
from typing import Iterator, Optional, Sequence

#: The record's tables in SQLite's words; :class:`PostgresDialect` rewrites the types.
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
    path TEXT NOT NULL, path_raw BLOB, arrival TEXT NOT NULL, sha256 TEXT NOT NULL,
    size_bytes INTEGER, mtime_ns INTEGER, arrived_at REAL, inspected_at REAL NOT NULL,
    width INTEGER, height INTEGER,
    status TEXT NOT NULL CHECK (status IN ('defect', 'clean', 'unreadable')), error TEXT,
    same_as INTEGER REFERENCES images(id),
    UNIQUE (model_id, arrival));
CREATE TABLE IF NOT EXISTS detections (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images(id),
    class TEXT NOT NULL, score REAL NOT NULL,
    x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
    area_px REAL, area_pct REAL);
CREATE INDEX IF NOT EXISTS detections_image ON detections(image_id);
CREATE INDEX IF NOT EXISTS images_time ON images(inspected_at);
CREATE INDEX IF NOT EXISTS images_content ON images(model_id, sha256);
CREATE INDEX IF NOT EXISTS images_name ON images(model_id, path_raw);
"""


class DatabaseFault(RuntimeError):
    """The database cannot be written or read now (locked, read-only, full, gone, the
    server down): the message names the database and the cause."""


class SQLiteDialect:
    """SQLite: one file, WAL mode, foreign keys on, every commit synced to the disk.

    Args:
        path (str): The file (created with its folder when missing, unless read-only).
        timeout (float): Seconds to wait for another writer's lock. Defaults to 30.
    """
    name = 'sqlite'

    def __init__(self, path: str, timeout: float = 30.0) -> None:
        self.target = path
        self.timeout = timeout

    def describe(self) -> str:
        return self.target

    def connect(self, read_only: bool = False):
        if read_only:
            if not os.path.isfile(self.target):
                raise ValueError(f'database {self.target} does not exist')
            conn = sqlite3.connect(self.target, timeout=self.timeout)
            conn.execute('PRAGMA query_only=ON')
            return conn
        folder = os.path.dirname(os.path.abspath(self.target))
        os.makedirs(folder, exist_ok=True)
        conn = sqlite3.connect(self.target, timeout=self.timeout)
        conn.execute('PRAGMA journal_mode=WAL')
        conn.execute('PRAGMA foreign_keys=ON')
        conn.execute('PRAGMA synchronous=FULL')  # a committed batch survives power loss
        return conn

    def sql(self, text: str) -> str:
        return text

    def schema(self) -> str:
        return SCHEMA

    def is_fault(self, err: BaseException) -> bool:
        # locked, read-only, disk full or I/O error, gone; not a mistake in what was sent
        return isinstance(err, (sqlite3.OperationalError, OSError)) or \
            type(err) is sqlite3.DatabaseError

    @contextlib.contextmanager
    def transaction(self, conn) -> Iterator:
        with conn:
            yield conn

    def tables(self, conn) -> set:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    def columns(self, conn, table: str) -> list:
        return [r[1] for r in conn.execute(f'PRAGMA table_info({table})')]


class PostgresDialect:
    """PostgreSQL through psycopg 3: the same tables with the server's types; a schema
    created under an advisory lock, so stations starting together do not race.

    Args:
        url (str): ``postgresql://user[:password]@host[:port]/database`` (or with
            ``?host=/socket/folder``).
        timeout (float): Seconds to wait for a row lock or the connection. Defaults to 30.
    """
    name = 'postgresql'
    #: key of the advisory lock held while the schema is created
    SCHEMA_LOCK = 0x5D1E5EC7

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.target = url
        self.timeout = timeout

    def describe(self) -> str:
        # the URL without a password
        return re.sub(r'//([^:@/]+):[^@/]*@', r'//\1:***@', self.target)

    def connect(self, read_only: bool = False):
        try:
            import psycopg
        except ImportError as err:
            raise ValueError('--db postgresql:// needs psycopg 3 (pip install '
                             '"psycopg[binary]")') from err
        try:
            conn = psycopg.connect(self.target, autocommit=True,
                                   connect_timeout=max(1, int(self.timeout)))
        except psycopg.Error as err:
            raise DatabaseFault(f'cannot connect to {self.describe()}: '
                                f'{str(err).strip().splitlines()[0]}') from err
        conn.execute(f"SET lock_timeout = '{int(self.timeout * 1000)}ms'")
        if read_only:
            conn.execute('SET default_transaction_read_only = on')
        return conn

    def sql(self, text: str) -> str:
        return text.replace('?', '%s')

    def schema(self) -> str:
        text = SCHEMA.replace('INTEGER PRIMARY KEY', 'BIGSERIAL PRIMARY KEY')
        text = text.replace('score_thr REAL', 'score_thr TEXT')
        text = re.sub(r'\bREAL\b', 'DOUBLE PRECISION', text)
        text = re.sub(r'\bINTEGER\b', 'BIGINT', text)
        return text.replace('BLOB', 'BYTEA')

    def is_fault(self, err: BaseException) -> bool:
        import psycopg
        return isinstance(err, (psycopg.OperationalError, psycopg.errors.LockNotAvailable,
                                psycopg.errors.QueryCanceled, psycopg.errors.DiskFull,
                                psycopg.errors.ReadOnlySqlTransaction, psycopg.InterfaceError))

    @contextlib.contextmanager
    def transaction(self, conn) -> Iterator:
        with conn.transaction():
            yield conn

    def tables(self, conn) -> set:
        return {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema()")}

    def columns(self, conn, table: str) -> list:
        return [r[0] for r in conn.execute(
            'SELECT column_name FROM information_schema.columns WHERE table_name = %s AND '
            'table_schema = current_schema()', (table, ))]


def is_url(target: str) -> bool:
    """Whether ``target`` names a PostgreSQL server rather than an SQLite file."""
    return target.startswith(('postgresql://', 'postgres://'))


def dialect_for(target: str, timeout: float = 30.0):
    """The dialect of a database path or URL.

    Raises:
        ValueError: A URL of a database this record cannot live in.
    """
    if is_url(target):
        return PostgresDialect(target, timeout)
    if re.match(r'^[a-z][a-z0-9+.-]*://', target):
        raise ValueError(f'database {target}: expected an SQLite file path or a '
                         f'postgresql:// URL')
    return SQLiteDialect(target, timeout)


def run(dialect, conn, text: str, params: Sequence = ()):
    """Execute one statement in the dialect's words; the cursor. Without parameters the
    text is sent as it is (a ``%`` in a ``LIKE`` pattern is not a placeholder then)."""
    if not params:
        return conn.execute(text)
    return conn.execute(dialect.sql(text), tuple(params))


def run_many(dialect, conn, text: str, rows: Sequence[Sequence]) -> None:
    """Execute one statement for every row."""
    if rows:
        conn.cursor().executemany(dialect.sql(text), [tuple(r) for r in rows])


def fault_text(dialect, err: BaseException, doing: Optional[str] = None) -> str:
    """One line naming the database and the cause (first line of the driver's text)."""
    cause = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return f'{dialect.describe()}: {doing + ": " if doing else ""}{cause}'


__all__ = ['DatabaseFault', 'PostgresDialect', 'SCHEMA', 'SQLiteDialect', 'dialect_for',
           'fault_text', 'is_url', 'run', 'run_many']
