"""The inspection station (#28): a watched folder, every picture recorded exactly once,
crash safety under SIGKILL, bad files recorded or refused with a message, one station per
(database, folder), Ctrl-C after the current batch."""
import os
import os.path as osp
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import CKPT_40E, RECIPE_40E, REPO, run_tool


# ---------------------------------------------------------------- the folder watcher


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


def test_watcher_takes_a_picture_once_it_has_stayed_unchanged_on_its_own_clock(tmp_path, capsys):
    from mmdet_shuffledefect.inspection.folder_watcher import FolderWatcher
    clock = Clock(1000.0)  # the station's clock: nothing to do with the files' times
    watcher = FolderWatcher(str(tmp_path), settle=0.5, empty_settle=3.0, clock=clock)
    (tmp_path / 'a.jpg').write_bytes(b'x' * 10)
    (tmp_path / 'b.jpg.tmp').write_bytes(b'x' * 10)   # still being written by the camera
    (tmp_path / 'empty.jpg').write_bytes(b'')          # created, not yet written
    (tmp_path / 'notes.txt').write_text('shift log')
    (tmp_path / '.hidden.jpg').write_bytes(b'x')
    assert watcher.poll() == []  # first sight: nothing has stayed unchanged yet
    assert 'ignoring' in capsys.readouterr().err
    assert [n for n, _ in watcher.ignored] == ['notes.txt']
    clock.t += 0.4
    assert watcher.poll() == []  # 0.4 s of 0.5
    clock.t += 0.2
    assert [a.path for a in watcher.poll()] == [str(tmp_path / 'a.jpg')]
    assert watcher.poll() == []  # handed out once
    os.replace(tmp_path / 'b.jpg.tmp', tmp_path / 'b.jpg')  # write-then-rename
    assert watcher.poll() == []
    clock.t += 0.6
    assert [a.path for a in watcher.poll()] == [str(tmp_path / 'b.jpg')]
    clock.t += 3.0
    got = watcher.poll()
    assert [(a.path, a.size) for a in got] == [(str(tmp_path / 'empty.jpg'), 0)]
    capsys.readouterr()
    watcher.poll()
    assert 'notes.txt' not in capsys.readouterr().err  # said once


def test_watcher_refuses_a_missing_folder(tmp_path):
    from mmdet_shuffledefect.inspection.folder_watcher import FolderWatcher
    with pytest.raises(ValueError, match=f'watch folder {tmp_path / "nope"} does not exist'):
        FolderWatcher(str(tmp_path / 'nope'))


def test_read_picture_says_what_is_wrong_with_a_file(tmp_path):
    import cv2

    from mmdet_shuffledefect.inspection.station import picture_key, read_picture
    img = np.full((40, 60, 3), 120, np.uint8)
    jpg = cv2.imencode('.jpg', img)[1].tobytes()
    png = cv2.imencode('.png', img)[1].tobytes()
    files = {'ok.jpg': jpg, 'cut.jpg': jpg[:len(jpg) // 2], 'cut.png': png[:len(png) - 30],
             'empty.jpg': b'', 'junk.jpg': b'GIF89a not a picture at all' * 3}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    data, got, error, truncated = read_picture(str(tmp_path / 'ok.jpg'))
    assert error is None and got.shape == (40, 60, 3) and data == jpg and not truncated
    assert 'truncated JPEG' in read_picture(str(tmp_path / 'cut.jpg'))[2]
    assert 'truncated PNG' in read_picture(str(tmp_path / 'cut.png'))[2]
    assert read_picture(str(tmp_path / 'empty.jpg'))[2] == 'empty file (0 bytes)'
    assert 'not a readable picture' in read_picture(str(tmp_path / 'junk.jpg'))[2]
    gone = read_picture(str(tmp_path / 'gone.jpg'))
    assert gone[0] is None and 'removed before it could be read' in gone[2]
    # empty files are told apart by name (they all share one content hash)
    assert picture_key(b'', '/x/a.jpg') != picture_key(b'', '/x/b.jpg')
    assert picture_key(jpg, '/x/a.jpg') == picture_key(jpg, '/y/other.jpg')


def test_a_second_station_on_the_same_folder_and_database_is_refused(tmp_path):
    from mmdet_shuffledefect.inspection.station_lock import StationLock
    db = str(tmp_path / 'line.sqlite')
    with StationLock(db, str(tmp_path)):
        with pytest.raises(RuntimeError, match='is already watching'):
            StationLock(db, str(tmp_path)).acquire()
        other = tmp_path / 'camera2'
        other.mkdir()
        with StationLock(db, str(other)):  # another folder into the same database: fine
            pass
    # a holder killed with SIGKILL leaves no lock behind
    code = ('import sys, time; sys.path.insert(0, %r); '
            'from mmdet_shuffledefect.inspection.station_lock import StationLock; '
            'lock = StationLock(%r, %r).acquire(); print("locked", flush=True); time.sleep(60)'
            % (REPO, db, str(tmp_path)))
    holder = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == 'locked'
    with pytest.raises(RuntimeError, match=f':{holder.pid} since'):  # names the holder
        StationLock(db, str(tmp_path)).acquire()
    holder.kill()
    holder.wait()
    StationLock(db, str(tmp_path)).acquire().release()


# ---------------------------------------------------------------- the station, for real


@pytest.fixture(scope='module')
def model():
    from mmdet_shuffledefect.apis import init_inspection_model
    return init_inspection_model(RECIPE_40E, CKPT_40E)


def _db(path, thr=0.3):
    from mmdet_shuffledefect.inspection.results_db import ResultsDB
    return ResultsDB(str(path), dict(config='c', weights_sha256='w', backend='pytorch',
                                     precision='f32', score_thr=thr))


def test_a_file_removed_between_arrival_and_reading_is_reported_and_the_rest_recorded(
        model, tmp_path, capsys):
    from mmdet_shuffledefect.inspection.station import InspectionStation
    from mmdet_shuffledefect.data_prep.line_camera import LineCamera
    cam = tmp_path / 'cam'
    LineCamera(str(cam), pool=3).shoot(3)
    db = _db(tmp_path / 'r.sqlite')
    station = InspectionStation(model, db, str(cam), settle=0.0, batch_size=8, progress=False)
    arrivals = station.watcher.poll()
    os.remove(arrivals[1].path)  # the operator cleans up too early
    station.backlog.extend(arrivals)
    stats = station.run(stop_when_idle=0.0, handle_signals=False)
    assert 'removed before it could be read; not recorded' in capsys.readouterr().err
    assert stats['vanished'] == 1 and stats['recorded'] == 2
    assert db.counts()['images'] == 2 and db.check_integrity() == []


def test_the_same_picture_under_two_names_is_recorded_under_each(model, tmp_path):
    """#47 row 7: identical bytes under two names (a camera's duplicate frame) are two
    arrivals, each recorded under its own name; the second row says which it equals."""
    from mmdet_shuffledefect.inspection.station import InspectionStation
    from mmdet_shuffledefect.data_prep.line_camera import LineCamera
    cam = tmp_path / 'cam'
    first, = LineCamera(str(cam), pool=1).shoot(1)
    (cam / 'dupB_coil8.jpg').write_bytes(open(first, 'rb').read())
    db = _db(tmp_path / 'r.sqlite')
    stats = InspectionStation(model, db, str(cam), settle=0.0, progress=False).run(
        stop_when_idle=0.0, handle_signals=False)
    assert stats['recorded'] == 2 and stats['skipped_recorded'] == 0
    rows = db.conn.execute('SELECT id, path, same_as FROM images ORDER BY id').fetchall()
    assert {osp.basename(p) for _, p, _ in rows} == {osp.basename(first), 'dupB_coil8.jpg'}
    assert rows[0][2] is None and rows[1][2] == rows[0][0]


def _station(cam, db, *more, env=None):
    """The station CLI as a subprocess (stdout/stderr to files, so it can be killed)."""
    args = [sys.executable, 'tools/inspection_station.py', RECIPE_40E, CKPT_40E, '--watch',
            str(cam), '--db', str(db), '--settle', '0', '--poll-interval', '0.05',
            '--batch-size', '16', *more]
    log = open(str(db) + f'.{time.monotonic_ns()}.log', 'w+')
    return subprocess.Popen(args, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, OMP_NUM_THREADS='1', **(env or {}))), log


def _recorded(db):
    from mmdet_shuffledefect.inspection.results_db import recorded_count
    return recorded_count(str(db))


def _check_exactly_once(db, folder):
    from mmdet_shuffledefect.inspection.picture_identity import content_hashes
    from mmdet_shuffledefect.inspection.results_db import ResultsDB
    conn = sqlite3.connect(str(db))
    keys = [r[0] for r in conn.execute('SELECT sha256 FROM images')]
    files = sorted(str(p) for p in folder.iterdir() if p.suffix == '.jpg')
    wanted = content_hashes(files)
    assert len(keys) == len(set(keys)), 'a picture recorded twice'
    assert sorted(keys) == sorted(wanted.values()), 'a picture lost or an extra one recorded'
    orphans = conn.execute('SELECT COUNT(*) FROM detections d LEFT JOIN images i ON '
                           'd.image_id = i.id WHERE i.id IS NULL').fetchone()[0]
    assert orphans == 0
    db_obj = ResultsDB(str(db), dict(config='x', weights_sha256='x', backend='x',
                                     precision='x', score_thr=0.0))
    assert db_obj.check_integrity() == []  # every batch whole
    db_obj.close()


@pytest.mark.slow
def test_sigkill_at_any_point_loses_and_duplicates_nothing(tmp_path):
    """Five SIGKILLs (while the model loads, between and inside batches) and restarts,
    with pictures still arriving: every picture recorded exactly once, every batch
    whole."""
    from mmdet_shuffledefect.data_prep.line_camera import LineCamera
    cam_dir, db = tmp_path / 'camera', tmp_path / 'line.sqlite'
    cam = LineCamera(str(cam_dir), pool=16, seed=3)
    cam.shoot(160)
    kills = 0
    rng = np.random.default_rng(0)
    for cycle in range(5):
        proc, log = _station(cam_dir, db, '--no-progress')
        if cycle == 0:
            time.sleep(1.0)  # inside start-up, before the model has loaded
        else:
            before = _recorded(db)
            deadline = time.time() + 120
            # wait for progress, then kill a random moment later (inside or between batches)
            while _recorded(db) <= before and time.time() < deadline and proc.poll() is None:
                time.sleep(0.02)
            time.sleep(float(rng.uniform(0, 0.3)))
        assert proc.poll() is None, open(log.name).read()[-2000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        cam.shoot(20)  # the line does not stop for the station
    assert kills == 5
    proc, log = _station(cam_dir, db, '--stop-when-idle', '1', '--no-progress')
    assert proc.wait(timeout=300) == 0, open(log.name).read()[-3000:]
    assert _recorded(db) == 260
    _check_exactly_once(db, cam_dir)


@pytest.mark.slow
def test_station_cli_bad_files_ctrl_c_restart_and_a_second_station(tmp_path):
    from mmdet_shuffledefect.data_prep.line_camera import LineCamera
    cam_dir, db = tmp_path / 'camera 1 Stahl-ü', tmp_path / 'line.sqlite'
    cam = LineCamera(str(cam_dir), pool=8, seed=1)
    cam.shoot(200)
    for path, odd in zip(LineCamera(str(cam_dir), pool=2, seed=2, start=5000).shoot(2),
                         ('<img src=x onerror=alert(1)>.jpg', 'Coil 7 Stahl-ü.jpg')):
        os.replace(path, cam_dir / odd)  # readable pictures with awkward names
    good = open(cam_dir / 'frame_000000.jpg', 'rb').read()
    (cam_dir / 'truncated.jpg').write_bytes(good[:len(good) // 3])
    (cam_dir / 'empty.jpg').write_bytes(b'')
    (cam_dir / 'readme.jpg').write_text('this is a text file')
    (cam_dir / 'notes.txt').write_text('not a picture name')

    # Ctrl-C: stops after the batch in hand, exit 0, the batch committed whole
    first, log = _station(cam_dir, db, '--empty-settle', '0')
    deadline = time.time() + 120
    while _recorded(db) == 0 and time.time() < deadline:
        time.sleep(0.02)
    first.send_signal(signal.SIGINT)
    assert first.wait(timeout=120) == 0, open(log.name).read()[-3000:]
    out = open(log.name).read()
    assert 'stopping after the current batch' in out
    assert 'backlog=' in out  # the terminal's status line
    stopped_at = _recorded(db)
    assert 0 < stopped_at < 205 and stopped_at % 16 == 0  # whole batches

    # the restart records the rest (pictures recorded before are skipped); meanwhile a
    # second station on the same folder and database is refused, naming the first
    again, log = _station(cam_dir, db, '--empty-settle', '0')
    deadline = time.time() + 120
    while 'station: watching' not in open(log.name).read() and time.time() < deadline:
        time.sleep(0.05)
    second = run_tool(['tools/inspection_station.py', RECIPE_40E, CKPT_40E, '--watch',
                       str(cam_dir), '--db', str(db)])
    assert second.returncode == 1
    assert 'is already watching' in second.stderr and str(cam_dir) in second.stderr
    assert f':{again.pid} since' in second.stderr
    deadline = time.time() + 300
    while _recorded(db) < 205 and time.time() < deadline:
        time.sleep(0.1)
    again.send_signal(signal.SIGTERM)
    assert again.wait(timeout=120) == 0, open(log.name).read()[-3000:]
    out = open(log.name).read()
    assert 'ignoring' in out and 'notes.txt' in out
    assert 'truncated JPEG' in out and 'recorded as unreadable' in out
    conn = sqlite3.connect(str(db))
    status = dict(conn.execute('SELECT path, status FROM images'))
    name = lambda p: p.rsplit('/', 1)[-1]  # noqa: E731
    assert {name(p) for p, s in status.items() if s == 'unreadable'} == {
        'truncated.jpg', 'empty.jpg', 'readme.jpg'}
    assert {'<img src=x onerror=alert(1)>.jpg', 'Coil 7 Stahl-ü.jpg'} <= set(map(name, status))
    assert len(status) == 205
    errors = dict(conn.execute('SELECT path, error FROM images WHERE error IS NOT NULL'))
    assert any('empty file' in e for e in errors.values())
    _check_exactly_once(db, cam_dir)
    arrived = conn.execute('SELECT MIN(inspected_at - arrived_at) FROM images').fetchone()[0]
    assert arrived >= 0  # the arrival time is the file's, before the record


def test_station_cli_refuses_bad_arguments_by_name(tmp_path):
    proc = run_tool(['tools/inspection_station.py', RECIPE_40E, CKPT_40E, '--watch',
                     str(tmp_path / 'nowhere'), '--db', str(tmp_path / 'r.sqlite')])
    assert proc.returncode == 2 and f'--watch {tmp_path / "nowhere"} does not exist' in proc.stderr
    proc = run_tool(['tools/inspection_station.py', RECIPE_40E, CKPT_40E, '--watch',
                     str(tmp_path), '--db', str(tmp_path / 'r.sqlite'), '--settle', '-1'])
    assert proc.returncode == 2 and 'expected seconds >= 0, got -1.0' in proc.stderr
    bad = tmp_path / 'notes.sqlite'
    bad.write_text('not a database\n' * 100)
    proc = run_tool(['tools/inspection_station.py', RECIPE_40E, CKPT_40E, '--watch',
                     str(tmp_path), '--db', str(bad)])
    assert proc.returncode == 1 and f'{bad} is not a usable results database' in proc.stderr
