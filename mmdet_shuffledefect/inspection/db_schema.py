"""The inspection record's tables: created where missing, an earlier version's brought up to
date (:data:`.db_dialects.SCHEMA` is the current one).

Example:
    >>> import sqlite3
    >>> from mmdet_shuffledefect.inspection.db_dialects import dialect_for
    >>> dialect = dialect_for(':memory:', timeout=5)
    >>> conn = dialect.connect()
    >>> create_tables(dialect, conn)
    >>> sorted(dialect.columns(conn, 'images'))[:3]
    ['arrival', 'arrived_at', 'batch_id']
"""
from .db_dialects import SCHEMA, run

#: the first index on a column version 1 lacked (created after the migration)
NEW_INDEXES = 'CREATE INDEX IF NOT EXISTS images_content'


def create_tables(dialect, conn) -> None:
    """Create the tables where missing; bring an earlier version's up to date.

    Args:
        dialect: The :mod:`.db_dialects` dialect of ``conn``.
        conn: An open connection.
    """
    with dialect.transaction(conn):
        if dialect.name == 'postgresql':
            # one creator at a time: stations starting together on one server
            run(dialect, conn, 'SELECT pg_advisory_xact_lock(?)', (dialect.SCHEMA_LOCK, ))
            for statement in filter(str.strip, dialect.schema().split(';')):
                conn.execute(statement)
    if dialect.name == 'sqlite':
        # the tables first, then an earlier version's brought up to date, then the
        # indexes on the columns it lacked
        conn.executescript(SCHEMA[:SCHEMA.index(NEW_INDEXES)])
        migrate_sqlite(dialect, conn)
        conn.executescript(SCHEMA)


def migrate_sqlite(dialect, conn) -> None:
    """Bring an SQLite record of an earlier version to :data:`.db_dialects.SCHEMA`: images
    gained ``batch_id`` (old rows keep NULL), then the arrival columns (version 1 rows keep
    their content hash and name as arrival, :func:`.picture_identity.legacy_key`)."""
    columns = dialect.columns(conn, 'images')
    if 'batch_id' not in columns:
        with conn:
            conn.execute('ALTER TABLE images ADD COLUMN batch_id INTEGER '
                         'REFERENCES batches(id)')
    if 'arrival' in columns:
        return
    create = SCHEMA[SCHEMA.index('CREATE TABLE IF NOT EXISTS images'):]
    create = create[:create.index(';') + 1].replace('IF NOT EXISTS images', 'images_v2')
    conn.execute('PRAGMA foreign_keys=OFF')
    try:
        with conn:
            conn.execute(create)
            conn.execute(
                "INSERT INTO images_v2 (id, model_id, batch_id, path, path_raw, arrival, "
                "sha256, size_bytes, arrived_at, inspected_at, width, height, status, "
                "error) SELECT id, model_id, batch_id, path, CAST(path AS BLOB), "
                "'v1:' || sha256 || ':' || path, sha256, size_bytes, arrived_at, "
                "inspected_at, width, height, status, error FROM images")
            conn.execute('DROP TABLE images')
            conn.execute('ALTER TABLE images_v2 RENAME TO images')
    finally:
        conn.execute('PRAGMA foreign_keys=ON')


__all__ = ['NEW_INDEXES', 'create_tables', 'migrate_sqlite']
