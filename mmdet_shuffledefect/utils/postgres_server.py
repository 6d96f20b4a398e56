"""A throwaway PostgreSQL server on a local socket: for trying the station's PostgreSQL
record on one machine, for the tests and for the station's load benchmark.

It runs the server binaries of the machine's own PostgreSQL (Debian's ``postgresql``
package: ``/usr/lib/postgresql/<version>/bin``), with a fresh cluster in a folder of its
own, listening only on a Unix socket in that folder (no TCP port is opened). As root,
the cluster belongs to the ``postgres`` user (PostgreSQL refuses to run as root).

Example:
    >>> with LocalPostgres('/tmp/pg') as server:              # doctest: +SKIP
    ...     url = server.create_database('line')
    ...     # tools/inspection_station.py ... --db URL
"""
import glob
import os
import os.path as osp
import shutil
import subprocess
import time
from typing import List, Optional


def server_binaries() -> Optional[str]:
    """The folder of ``initdb`` and ``pg_ctl`` of the newest installed PostgreSQL, None
    where there is none."""
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/initdb'),
                   key=lambda p: int(p.split('/')[4]) if p.split('/')[4].isdigit() else 0)
    if found:
        return osp.dirname(found[-1])
    initdb = shutil.which('initdb')
    return osp.dirname(initdb) if initdb else None


class LocalPostgres:
    """A PostgreSQL cluster in ``folder``, started on a Unix socket there.

    Args:
        folder (str): Where the cluster and its socket live (created; must be short
            enough for a socket path, under ~90 characters).
        port (int): The socket's number (it names the socket file). Defaults to 5439.
        user (str): The database user made (trusted, no password). Defaults to 'station'.

    Raises:
        RuntimeError: No PostgreSQL server binaries, or the server did not start (its log
            is quoted).
    """

    def __init__(self, folder: str, port: int = 5439, user: str = 'station') -> None:
        self.bin = server_binaries()
        if self.bin is None:
            raise RuntimeError('no PostgreSQL server found (Debian: apt-get install '
                               'postgresql)')
        self.folder = osp.abspath(folder)
        self.data = osp.join(self.folder, 'data')
        self.port = port
        self.user = user
        self.log = osp.join(self.folder, 'server.log')
        self.as_root = os.geteuid() == 0

    def _run(self, args: List[str]) -> subprocess.CompletedProcess:
        if self.as_root:  # the server refuses root: its files and process are postgres's
            args = ['runuser', '-u', 'postgres', '--'] + args
        return subprocess.run(args, capture_output=True, text=True)

    def start(self) -> 'LocalPostgres':
        os.makedirs(self.folder, exist_ok=True)
        if self.as_root:
            shutil.chown(self.folder, 'postgres', 'postgres')
        if not osp.isdir(self.data):
            done = self._run([osp.join(self.bin, 'initdb'), '-D', self.data, '-U', self.user,
                              '--auth=trust', '-E', 'UTF8', '--no-sync'])
            if done.returncode:
                raise RuntimeError(f'initdb failed: {done.stderr.strip()[-800:]}')
        opts = (f"-k {self.folder} -p {self.port} -c listen_addresses='' -c fsync=on "
                '-c max_connections=60')
        done = self._run([osp.join(self.bin, 'pg_ctl'), '-D', self.data, '-o', opts, '-l',
                          self.log, '-w', '-t', '60', 'start'])
        if done.returncode:
            log = open(self.log).read()[-1500:] if osp.exists(self.log) else ''
            raise RuntimeError(f'PostgreSQL did not start: {done.stderr.strip()} {log}')
        return self

    def url(self, database: str = 'postgres') -> str:
        """The ``postgresql://`` URL of ``database`` on this server."""
        return f'postgresql://{self.user}@/{database}?host={self.folder}&port={self.port}'

    def create_database(self, name: str) -> str:
        """A new, empty database (dropped first when it exists); its URL."""
        import psycopg
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        self._run([osp.join(self.bin, 'pg_ctl'), '-D', self.data, '-m', 'fast', '-w', 'stop'])

    def __enter__(self) -> 'LocalPostgres':
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_for(url: str, seconds: float = 30.0) -> None:
    """Wait until the server of ``url`` takes connections."""
    import psycopg
    deadline = time.time() + seconds
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


__all__ = ['LocalPostgres', 'server_binaries', 'wait_for']
