"""One station per (results database, watched folder), refused by name when a second starts."""
import hashlib
import os
import os.path as osp
import socket
import time

from .db_dialects import dialect_for, is_url
from .picture_files import shown_name


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


__all__ = ['StationLock']
