"""#47 item 8: the station's record on a real PostgreSQL server (Debian's, started here on a
local socket): the same guarantees as SQLite -- 0 lost, 0 duplicated after SIGKILLs, three
stations writing at once, one station per folder (an advisory lock), the page reading any
line. Skipped, saying why, only where no PostgreSQL server is installed (.ci/run installs
Debian's)."""
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

from conftest import CKPT_40E, RECIPE_40E, REPO, run_tool

psycopg = pytest.importorskip('psycopg', reason='psycopg 3 is not installed')


@pytest.fixture(scope='module')
def server():
    from mmdet_shuffledefect.utils.postgres_server import LocalPostgres, server_binaries
    if server_binaries() is None:
        pytest.skip('no PostgreSQL server installed (Debian: apt-get install postgresql; '
                    '.ci/run installs it)')
    folder = tempfile.mkdtemp(prefix='pg', dir='/tmp')  # a socket path must stay short
    with LocalPostgres(folder, port=5439) as pg:
        yield pg


def _station(cam, url, *more):
    args = [sys.executable, 'tools/inspection_station.py', RECIPE_40E, CKPT_40E, '--watch',
            str(cam), '--db', url, '--settle', '0', '--poll-interval', '0.05',
            '--batch-size', '16', '--no-progress', *more]
    log = tempfile.NamedTemporaryFile('w+', suffix='.log', delete=False)
    return subprocess.Popen(args, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, OMP_NUM_THREADS='1')), log


def _count(url):
    from mmdet_shuffledefect.inspection.results_db import recorded_count
    return recorded_count(url)


def _check_exactly_once(url, folders):
    """Every picture of ``folders`` recorded once under its own path, every batch whole."""
    from mmdet_shuffledefect.inspection.results_db import ResultsDB
    with psycopg.connect(url) as conn:
        paths = [r[0] for r in conn.execute('SELECT path FROM images')]
        orphans = conn.execute('SELECT COUNT(*) FROM detections d LEFT JOIN images i ON '
                               'd.image_id = i.id WHERE i.id IS NULL').fetchone()[0]
    files = sorted(str(p) for f in folders for p in f.iterdir() if p.suffix == '.jpg')
    assert len(paths) == len(set(paths)), 'a picture recorded twice'
    assert sorted(paths) == files, 'a picture lost or an extra one recorded'
    assert orphans == 0
    db = ResultsDB(url, dict(config='x', weights_sha256='x', backend='x', precision='x',
                             score_thr=0.0))
    assert db.check_integrity() == []
    db.close()


def test_a_server_that_cannot_be_reached_is_one_error_line(tmp_path):
    """A station whose server is down or mistyped exits 1 with one line naming the URL
    (its password hidden) and the cause, before the model loads."""
    url = f'postgresql://qa:secret@/line?host={tmp_path}&port=1'
    proc = run_tool(['tools/inspection_station.py', RECIPE_40E, CKPT_40E, '--watch',
                     str(tmp_path), '--db', url])
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr
    assert 'error: cannot connect to postgresql://qa:***@/line' in proc.stderr
    assert 'secret' not in proc.stderr


@pytest.mark.slow
def test_sigkill_at_any_point_loses_and_duplicates_nothing_on_postgres(server, tmp_path):
    """Three SIGKILLs (while the model loads, then inside or between batches) with
    pictures still arriving, then a clean run: every picture once, every batch whole."""
    from mmdet_shuffledefect.data_prep.line_camera import LineCamera
    url = server.create_database('kill')
    cam_dir = tmp_path / 'camera'
    cam = LineCamera(str(cam_dir), pool=8, seed=5)
    cam.shoot(96)
    rng = np.random.default_rng(1)
    for cycle in range(3):
        proc, log = _station(cam_dir, url)
        if cycle == 0:
            time.sleep(1.0)
        else:
            before, deadline = _count(url), time.time() + 120
            while _count(url) <= before and time.time() < deadline and proc.poll() is None:
                time.sleep(0.02)
            time.sleep(float(rng.uniform(0, 0.3)))
        assert proc.poll() is None, open(log.name).read()[-2000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        cam.shoot(16)
    proc, log = _station(cam_dir, url, '--stop-when-idle', '1')
    assert proc.wait(timeout=300) == 0, open(log.name).read()[-3000:]
    assert _count(url) == 96 + 48
    _check_exactly_once(url, [cam_dir])


@pytest.mark.slow
def test_three_stations_write_one_database_at_once_and_the_page_reads_it(server, tmp_path):
    """Three lines, three stations, one server: every picture of every line once; a
    second station on a line already watched is refused by its advisory lock, naming the
    holder; the page reads the server and shows each line's pictures."""
    from mmdet_shuffledefect.data_prep.line_camera import LineCamera
    url = server.create_database('plant')
    lines = [tmp_path / f'line{i}' for i in range(3)]
    cams = [LineCamera(str(d), pool=6, seed=10 + i) for i, d in enumerate(lines)]
    for cam in cams:
        cam.shoot(40)
    procs = [_station(d, url) for d in lines]
    deadline = time.time() + 120
    while (not all('station: watching' in open(log.name).read() for _, log in procs)
           and time.time() < deadline):
        time.sleep(0.1)
    second = run_tool(['tools/inspection_station.py', RECIPE_40E, CKPT_40E, '--watch',
                       str(lines[0]), '--db', url])
    assert second.returncode == 1 and 'is already watching' in second.stderr
    assert f':{procs[0][0].pid} since' in second.stderr
    for cam in cams:
        cam.shoot(20)  # the lines go on while every station writes
    deadline = time.time() + 300
    while _count(url) < 180 and time.time() < deadline:
        time.sleep(0.2)
    for proc, log in procs:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0, open(log.name).read()[-3000:]
    _check_exactly_once(url, lines)
    with psycopg.connect(url) as conn:
        stations = conn.execute('SELECT COUNT(DISTINCT station) FROM batches').fetchone()[0]
    assert stations == 3
    page = tmp_path / 'plant.html'
    done = run_tool(['tools/inspection_report.py', url, '--out', str(page)])
    assert done.returncode == 0, done.stderr
    assert '180 pictures' in done.stdout
    text = page.read_text()
    assert all(str(d) in text for d in lines) and 'postgresql://station@' in text
