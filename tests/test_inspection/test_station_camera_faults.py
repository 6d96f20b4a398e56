"""#47: what real cameras, file servers and operators do to a station, one test per row of
the issue's table: every picture inspected and recorded once under its own name, or one
clear unreadable/refused row with the reason; the station never stops on a bad file."""
import os
import os.path as osp
import sqlite3
import subprocess
import sys
import threading
import time

import cv2
import numpy as np
import pytest

from conftest import CKPT_40E, RECIPE_40E, REPO
from mmdet_shuffledefect.data_prep.line_camera import png_bomb


@pytest.fixture(scope='module')
def model():
    from mmdet_shuffledefect.apis import init_inspection_model
    return init_inspection_model(RECIPE_40E, CKPT_40E)


def _db(path, thr=0.3, timeout=30.0):
    from mmdet_shuffledefect.inspection.results_db import ResultsDB
    return ResultsDB(str(path), dict(config='c', weights_sha256='w', backend='pytorch',
                                     precision='f32', score_thr=thr), timeout=timeout)


def _station(model, db, folder, **kw):
    from mmdet_shuffledefect.inspection.station import InspectionStation
    kw.setdefault('settle', 0.0)
    kw.setdefault('batch_size', 8)  # a short warm-up
    return InspectionStation(model, db, str(folder), progress=False, poll_interval=0.05, **kw)


def _rows(db):
    return db.conn.execute('SELECT path, path_raw, status, error, same_as FROM images '
                           'ORDER BY id').fetchall()


def _frames(n, seed=0):
    """``n`` distinct JPEG pictures (bytes) of the synthetic line."""
    from mmdet_shuffledefect.data_prep.line_camera import LineCamera
    import tempfile
    cam = LineCamera(tempfile.mkdtemp(), pool=4, seed=seed)
    return [data for _, data in cam.encode(n)]


# ---------------------------------------------------------------- names and identity


def test_a_reused_name_is_a_new_picture_inspected_while_the_station_runs(model, tmp_path):
    """Row 1: write-then-rename onto a name already seen (ring-buffer cameras), and delete
    and rewrite: each new content inspected at once, three rows; the page then says the
    first row's file holds other bytes instead of drawing its boxes over them."""
    from mmdet_shuffledefect.inspection.report_page import thumbnail
    cam = tmp_path / 'cam'
    cam.mkdir()
    one, two, three = _frames(3)
    db = _db(tmp_path / 'r.sqlite')
    station = _station(model, db, cam)
    (cam / 'ring_0.jpg').write_bytes(one)
    assert station.run(stop_when_idle=0.0, handle_signals=False)['recorded'] == 1
    (cam / 'ring_0.jpg.tmp').write_bytes(two)
    os.replace(cam / 'ring_0.jpg.tmp', cam / 'ring_0.jpg')  # same name, new picture
    assert station.run(stop_when_idle=0.0, handle_signals=False)['recorded'] == 2
    os.remove(cam / 'ring_0.jpg')
    station.watcher.poll()  # the station sees the name gone
    (cam / 'ring_0.jpg').write_bytes(three)
    assert station.run(stop_when_idle=0.0, handle_signals=False)['recorded'] == 3
    rows = db.conn.execute('SELECT path, sha256 FROM images ORDER BY id').fetchall()
    assert [osp.basename(p) for p, _ in rows] == ['ring_0.jpg'] * 3
    assert len({sha for _, sha in rows}) == 3
    page = thumbnail(str(cam / 'ring_0.jpg'), [], [], sha256=rows[0][1])
    assert 'file changed since inspection' in page and '<image' not in page
    assert '<image' in thumbnail(str(cam / 'ring_0.jpg'), [], [], sha256=rows[2][1])


def test_a_name_that_is_not_utf8_is_recorded_and_shown_never_a_crash(model, tmp_path):
    """Row 2: ``Pr\\xfcfung.jpg`` from a Windows share beside 10 good pictures: all 11
    recorded (the name's bytes kept losslessly, a readable text beside them), the page
    renders it, and the one-shot inspection of that folder reads it too."""
    from mmdet_shuffledefect.inspection import inspect_paths, list_inputs
    from mmdet_shuffledefect.inspection.report_page import load_report_data, render_report
    cam = tmp_path / 'cam'
    cam.mkdir()
    frames = _frames(11, seed=1)
    for i, data in enumerate(frames[:10]):
        (cam / f'coil_{i}.jpg').write_bytes(data)
    odd = os.fsdecode(b'Pr\xfcfung.jpg')
    with open(os.path.join(os.fsencode(str(cam)), b'Pr\xfcfung.jpg'), 'wb') as f:
        f.write(frames[10])
    db = _db(tmp_path / 'r.sqlite')
    stats = _station(model, db, cam).run(stop_when_idle=0.0, handle_signals=False)
    assert stats['recorded'] == 11 and stats['unreadable'] == 0
    row = db.conn.execute("SELECT path, path_raw, status FROM images WHERE path LIKE "
                          "'%Pr%'").fetchone()
    assert row[0].endswith('Pr\\xfcfung.jpg') and row[1].endswith(b'Pr\xfcfung.jpg')
    assert row[2] in ('defect', 'clean')
    page = render_report(load_report_data(str(tmp_path / 'r.sqlite')))
    assert 'Pr\\\\xfcfung.jpg' in page or 'Pr\\xfcfung.jpg' in page
    summary = inspect_paths(model, list_inputs(str(cam)), str(tmp_path / 'out'),
                            progress=False)
    assert summary['images_read'] == 11 and summary['unreadable'] == []
    assert 'Pr\\xfcfung.jpg' in open(tmp_path / 'out' / 'report.csv', encoding='utf-8').read()
    assert osp.join(str(cam), odd) in list_inputs(str(cam))


def test_no_terminal_escape_codes_are_printed_raw(tmp_path, capsys):
    """Row 13: a non-picture whose name holds ANSI escapes is reported escaped."""
    from mmdet_shuffledefect.inspection.folder_watcher import FolderWatcher
    (tmp_path / 'evil\x1b[2J\x1b[31mred.txt').write_text('x')
    FolderWatcher(str(tmp_path), settle=0.0).poll()
    err = capsys.readouterr().err
    assert '\x1b' not in err and 'evil\\x1b[2J\\x1b[31mred.txt' in err


def test_relative_watch_folder_records_absolute_paths(tmp_path, monkeypatch):
    """Row 8: ``--watch A`` (relative): rows hold the absolute path, so a page built from
    another folder finds the pictures."""
    from mmdet_shuffledefect.inspection.folder_watcher import FolderWatcher
    (tmp_path / 'A').mkdir()
    (tmp_path / 'A' / 'x.jpg').write_bytes(_frames(1)[0])
    monkeypatch.chdir(tmp_path)
    got, = FolderWatcher('A', settle=0.0).poll()
    assert got.path == str(tmp_path / 'A' / 'x.jpg')


# ---------------------------------------------------------------- sizes


def _peak_rss_mb(path):
    """Peak memory (MB) of a fresh process that reads ``path`` as the station does."""
    code = ('import resource, sys; from mmdet_shuffledefect.inspection.picture_files import '
            'read_picture; p = read_picture(sys.argv[1]); print(p.error); '
            'print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)')
    out = subprocess.run([sys.executable, '-c', code, str(path)], capture_output=True,
                         text=True, cwd=REPO, check=True).stdout.split('\n')
    return out[0], int(out[1]) / 1024


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path):
    """Row 3: a PNG of a few hundred KB that decodes to 20000 x 20000 is refused before
    decoding: the process reading it peaks within 200 MB of one reading a normal
    picture (decoding it would take 1.2 GB)."""
    bomb = tmp_path / 'bomb.png'
    bomb.write_bytes(png_bomb(20000, 20000))
    assert bomb.stat().st_size < 2_000_000
    normal = tmp_path / 'normal.jpg'
    normal.write_bytes(_frames(1)[0])
    error, bomb_mb = _peak_rss_mb(bomb)
    assert error.startswith('too large (20000 x 20000 px')
    none, normal_mb = _peak_rss_mb(normal)
    assert none == 'None'
    assert bomb_mb < normal_mb + 200, (bomb_mb, normal_mb)


def test_oversized_and_undersized_frames_are_refused_by_name_and_the_rest_inspected(
        model, tmp_path, capsys):
    """Rows 3-4: a bomb, an 8000 x 8000 frame, a 1 x 1 PNG and a 1 x 3000 strip are each
    one unreadable row saying too large / too small (no 26-s inspection, no 3,864
    'defects'); the good picture beside them is inspected."""
    cam = tmp_path / 'cam'
    cam.mkdir()
    (cam / 'bomb.png').write_bytes(png_bomb(20000, 20000))
    big = np.zeros((8000, 8000, 3), np.uint8)
    (cam / 'black_8000.jpg').write_bytes(cv2.imencode('.jpg', big)[1].tobytes())
    del big
    (cam / 'dot.png').write_bytes(cv2.imencode('.png', np.zeros((1, 1, 3), np.uint8))[1])
    (cam / 'strip.png').write_bytes(cv2.imencode('.png', np.zeros((3000, 1, 3), np.uint8))[1])
    (cam / 'good.jpg').write_bytes(_frames(1)[0])
    db = _db(tmp_path / 'r.sqlite')
    started = time.time()
    stats = _station(model, db, cam).run(stop_when_idle=0.0, handle_signals=False)
    assert time.time() - started < 20
    assert stats['recorded'] == 5 and stats['refused'] == 4
    errors = {osp.basename(p): (s, e) for p, _, s, e, _ in _rows(db)}
    assert errors['bomb.png'][1].startswith('too large (20000 x 20000 px')
    assert errors['black_8000.jpg'][1].startswith('too large (8000 x 8000 px')
    assert errors['dot.png'][1].startswith('too small (1 x 1 px')
    assert errors['strip.png'][1].startswith('too small (1 x 3000 px')
    assert errors['good.jpg'][0] in ('defect', 'clean')
    assert db.conn.execute('SELECT COUNT(*) FROM detections d JOIN images i ON '
                           "d.image_id = i.id WHERE i.status = 'unreadable'").fetchone()[0] == 0
    assert "recorded as unreadable" in capsys.readouterr().err


def test_tiles_of_a_line_scan_strip_are_cut_a_batch_at_a_time(model):
    """Row 4 (memory): a strip is cut into tiles as each batch runs, so the tiles in
    memory at once are one batch, whatever the strip's length; the result is the same."""
    from mmdet_shuffledefect.inspection import detect_many
    rng = np.random.default_rng(0)
    strip = rng.integers(60, 200, (192, 192 * 8, 3), dtype=np.uint8)
    one = detect_many(model, [strip], 0.05, 192, 32, batch_size=2)[0]
    many = detect_many(model, [strip], 0.05, 192, 32, batch_size=32)[0]
    assert np.allclose(one[0], many[0], atol=1e-3) and np.array_equal(one[2], many[2])


# ---------------------------------------------------------------- write patterns, clocks


def _write_in_chunks(path, data, chunks, pause, stop_after=None):
    with open(path, 'wb') as f:
        for i, part in enumerate(np.array_split(np.frombuffer(data, np.uint8), chunks)):
            if stop_after is not None and i >= stop_after:
                return
            f.write(part.tobytes())
            f.flush()
            time.sleep(pause)


def test_a_camera_writing_in_place_with_pauses_longer_than_settle(model, tmp_path):
    """Row 5: chunks with 0.5-s pauses (over --settle 0.25): the cut-short picture is read
    again as it grows and recorded once, complete."""
    cam = tmp_path / 'cam'
    cam.mkdir()
    data = _frames(1)[0]
    db = _db(tmp_path / 'r.sqlite')
    station = _station(model, db, cam, settle=0.25, write_timeout=10.0)
    station.warm_up()
    station.warm_up = lambda: None  # watching from the camera's first byte
    writer = threading.Thread(target=_write_in_chunks, args=(cam / 'slow.jpg', data, 4, 0.5))
    writer.start()
    stats = station.run(stop_when_idle=1.5, handle_signals=False)
    writer.join()
    rows = _rows(db)
    assert len(rows) == 1 and rows[0][2] in ('defect', 'clean'), rows
    assert stats['rereads'] >= 1 and stats['unreadable'] == 0


def test_a_write_finished_after_the_timeout_replaces_its_unreadable_row(model, tmp_path):
    """Row 5: past --write-timeout the cut-short picture is recorded unreadable once; when
    the camera finishes it later (here after a restart) that row is replaced by the
    inspected picture: one row, never two."""
    cam = tmp_path / 'cam'
    cam.mkdir()
    data = _frames(1)[0]
    _write_in_chunks(cam / 'late.jpg', data, 4, 0.0, stop_after=2)
    db = _db(tmp_path / 'r.sqlite')
    _station(model, db, cam, write_timeout=0.3).run(stop_when_idle=0.8, handle_signals=False)
    assert [(r[2], r[3][:14]) for r in _rows(db)] == [('unreadable', 'truncated JPEG')]
    (cam / 'late.jpg').write_bytes(data)  # the camera finishes the picture
    again = _db(tmp_path / 'r.sqlite')  # a restarted station
    stats = _station(model, again, cam).run(stop_when_idle=0.0, handle_signals=False)
    rows = _rows(again)
    assert len(rows) == 1 and rows[0][2] in ('defect', 'clean') and rows[0][3] is None
    assert stats['recorded'] == 1 and again.check_integrity() == []
    _station(model, again, cam).run(stop_when_idle=0.0, handle_signals=False)
    assert len(_rows(again)) == 1  # and a further restart adds nothing


def test_a_file_server_clock_an_hour_ahead_is_never_compared(tmp_path):
    """Row 6: a picture stamped an hour in the future is taken once it has stayed
    unchanged for --settle seconds of the station's own clock."""
    from mmdet_shuffledefect.inspection.folder_watcher import FolderWatcher
    (tmp_path / 'ahead.jpg').write_bytes(b'x' * 100)
    future = time.time() + 3600
    os.utime(tmp_path / 'ahead.jpg', (future, future))
    watcher = FolderWatcher(str(tmp_path), settle=0.1)
    assert watcher.poll() == []
    time.sleep(0.15)
    assert [osp.basename(a.path) for a in watcher.poll()] == ['ahead.jpg']


# ---------------------------------------------------------------- links and folders


def test_links_are_not_followed_and_every_skipped_entry_is_said_once(model, tmp_path, capsys):
    """Row 12: a link to /etc/passwd and a link to a picture elsewhere are not followed
    (each reported once); --follow-links takes a link that stays inside the folder and
    still refuses the ones leading out; a subfolder is reported, not entered."""
    from mmdet_shuffledefect.inspection.folder_watcher import FolderWatcher
    cam, elsewhere = tmp_path / 'cam', tmp_path / 'elsewhere'
    cam.mkdir()
    elsewhere.mkdir()
    good, outside = _frames(2)
    (cam / 'frame.jpg').write_bytes(good)
    (elsewhere / 'other_line.jpg').write_bytes(outside)
    os.symlink('/etc/passwd', cam / 'passwd.jpg')
    os.symlink(elsewhere / 'other_line.jpg', cam / 'borrowed.jpg')
    os.symlink(cam / 'frame.jpg', cam / 'alias.jpg')
    (cam / 'sub.jpg').mkdir()
    watcher = FolderWatcher(str(cam), settle=0.0)
    assert [osp.basename(a.path) for a in watcher.poll()] == ['frame.jpg']
    watcher.poll()
    err = capsys.readouterr().err
    assert err.count('passwd.jpg: a symbolic link, not followed') == 1
    assert err.count('borrowed.jpg: a symbolic link') == 1
    assert err.count('sub.jpg: a folder (subfolders are not watched)') == 1
    follow = FolderWatcher(str(cam), settle=0.0, follow_links=True)
    assert sorted(osp.basename(a.path) for a in follow.poll()) == ['alias.jpg', 'frame.jpg']
    err = capsys.readouterr().err
    assert 'passwd.jpg: a link to /etc/passwd, outside the watch folder' in err
    assert 'borrowed.jpg: a link to' in err
    db = _db(tmp_path / 'r.sqlite')
    _station(model, db, cam).run(stop_when_idle=0.0, handle_signals=False)
    assert [osp.basename(r[0]) for r in _rows(db)] == ['frame.jpg']  # passwd never read


# ---------------------------------------------------------------- the database


def _after_failed_tries(station, tries, action):
    """Run ``action`` in a thread once the station has failed ``tries`` times to record
    (at most a minute later)."""
    def wait_then_act():
        deadline = time.time() + 60
        while station.stats['db_faults'] < tries and time.time() < deadline:
            time.sleep(0.05)
        action()
    thread = threading.Thread(target=wait_then_act)
    thread.start()
    return thread


def test_a_locked_database_keeps_the_pictures_and_records_them_when_it_frees(
        model, tmp_path, capsys):
    """Row 11: another process holds the database's write lock; the station says one
    `error:` line naming the file and the cause, keeps the inspected batch, retries with
    backoff, and records every picture once when the lock is released."""
    cam = tmp_path / 'cam'
    cam.mkdir()
    path = tmp_path / 'line.sqlite'
    db = _db(path, timeout=0.2)
    for i, data in enumerate(_frames(6)):
        (cam / f'f{i}.jpg').write_bytes(data)
    holder = sqlite3.connect(str(path), timeout=5, isolation_level=None,
                             check_same_thread=False)  # released by the timer's thread
    holder.execute('BEGIN EXCLUSIVE')
    station = _station(model, db, cam, batch_size=8)
    _after_failed_tries(station, 2, lambda: holder.execute('COMMIT'))
    stats = station.run(stop_when_idle=0.5, handle_signals=False)
    err = capsys.readouterr().err
    assert err.count('error: ') == 1, err
    assert f'error: {path}: cannot record 6 pictures: database is locked' in err
    assert 'kept' in err and 'the database took the 6 kept pictures' in err
    assert stats['db_faults'] >= 2 and stats['recorded'] == 6
    assert db.counts()['images'] == 6 and db.check_integrity() == []


def test_a_database_down_at_the_stop_loses_nothing(model, tmp_path, capsys):
    """Row 11: stopped while the database is still locked: the inspected pictures are said
    to be unrecorded (not lost: the next start inspects them), exit without a traceback."""
    cam = tmp_path / 'cam'
    cam.mkdir()
    path = tmp_path / 'line.sqlite'
    db = _db(path, timeout=0.1)
    for i, data in enumerate(_frames(3)):
        (cam / f'f{i}.jpg').write_bytes(data)
    holder = sqlite3.connect(str(path), timeout=5, isolation_level=None)
    holder.execute('BEGIN EXCLUSIVE')
    station = _station(model, db, cam)
    _after_failed_tries(station, 1, station.request_stop)
    stats = station.run(handle_signals=False)
    assert stats['unrecorded_at_stop'] == 3 and stats['recorded'] == 0
    assert 'the next start inspects them' in capsys.readouterr().err
    holder.execute('COMMIT')
    stats = _station(model, _db(path), cam).run(stop_when_idle=0.0, handle_signals=False)
    assert stats['recorded'] == 3


def test_the_page_counts_one_model_and_breaks_down_by_model(model, tmp_path):
    """Row 9: the same folder recorded again with another threshold: the page counts the
    latest model's pictures once (not the rows of every model summed), says which, and
    breaks down by model on request; the table has a model column."""
    from mmdet_shuffledefect.inspection.report_page import load_report_data, render_report
    cam = tmp_path / 'cam'
    cam.mkdir()
    for i, data in enumerate(_frames(5)):
        (cam / f'f{i}.jpg').write_bytes(data)
    (cam / 'broken.jpg').write_bytes(b'\xff\xd8\xff broken')
    path = str(tmp_path / 'r.sqlite')
    _station(model, _db(path, 0.3), cam).run(stop_when_idle=0.0, handle_signals=False)
    _station(model, _db(path, 0.6), cam).run(stop_when_idle=0.0, handle_signals=False)
    latest = load_report_data(path)
    assert latest['shown_models'] == [2] and len(latest['images']) == 6
    page = render_report(latest)
    assert 'pictures inspected by model 2' in page and '1 other model(s)' in page
    assert '<th>model</th>' in page
    both = load_report_data(path, model='all')
    assert both['shown_models'] == [1, 2] and len(both['images']) == 12
    assert 'broken down by model' in render_report(both)
    with pytest.raises(ValueError, match='model 7 is not in the database'):
        load_report_data(path, model=7)


@pytest.mark.parametrize('name', ['line%41.sqlite', 'line#1.sqlite'])
def test_the_page_reads_the_database_named_not_another(tmp_path, name):
    """Row 10: ``%41`` or ``#`` in the database's name: the page is built from that file
    (it was pasted into a ``file:`` URI: ``%41`` opened ``lineA.sqlite``)."""
    from mmdet_shuffledefect.inspection.report_page import load_report_data
    for target, count in ((name, 2), ('lineA.sqlite', 5), ('line', 7)):
        db = _db(tmp_path / target)
        db.record_batch([dict(path=f'/l/{target}{i}.jpg', sha256=f'{target}{i}',
                              status='clean') for i in range(count)])
        db.close()
    assert len(load_report_data(str(tmp_path / name))['images']) == 2


@pytest.fixture
def small_disk(tmp_path):
    """A 2-MB file system of its own (tmpfs), to fill and to make read-only."""
    disk = tmp_path / 'disk'
    disk.mkdir()
    done = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', str(disk)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f'cannot mount a small file system here (needs root with '
                    f'CAP_SYS_ADMIN): {done.stderr.strip()}')
    yield disk
    subprocess.run(['umount', '-l', str(disk)], capture_output=True)


def _fill(folder):
    """Fill the file system of ``folder``; the filler's path."""
    filler = folder / 'filler'
    with open(filler, 'wb') as f:
        try:
            while True:
                f.write(b'\0' * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_keeps_the_pictures_until_there_is_room(model, tmp_path, small_disk,
                                                            capsys):
    """Row 11: the database's disk fills: one error line naming the file and the cause,
    the batch kept, recorded once room is made."""
    db_path = small_disk / 'line.sqlite'
    cam = tmp_path / 'cam'
    cam.mkdir()
    for i, data in enumerate(_frames(5, seed=7)):
        (cam / f'f{i}.jpg').write_bytes(data)
    station = _station(model, _db(db_path, timeout=0.2), cam)
    _fill(small_disk)  # while the station has the database open
    _after_failed_tries(station, 2, lambda: os.remove(small_disk / 'filler'))
    stats = station.run(stop_when_idle=0.5, handle_signals=False)
    err = capsys.readouterr().err
    assert f'error: {db_path}: cannot record 5 pictures: database or disk is full' in err
    assert stats['recorded'] == 5 and station.db.counts()['images'] == 5


def test_a_read_only_database_is_one_error_naming_it(tmp_path, small_disk):
    """Row 11: a database on a read-only file system (a read-only bind mount of a folder
    holding a record): one DatabaseFault naming the file and the cause, which the tools
    print as one `error:` line (exit 1) instead of a traceback."""
    from mmdet_shuffledefect.inspection.db_dialects import DatabaseFault
    _db(small_disk / 'line.sqlite').close()
    ro = tmp_path / 'ro'
    ro.mkdir()
    subprocess.run(['mount', '--bind', str(small_disk), str(ro)], check=True)
    try:
        subprocess.run(['mount', '-o', 'remount,ro,bind', str(ro)], check=True)
        with pytest.raises(DatabaseFault) as err:
            _db(ro / 'line.sqlite')
        text = str(err.value)
        assert text.startswith(f'{ro / "line.sqlite"}: cannot open: ')
        assert 'readonly' in text or 'read-only' in text or 'unable to open' in text
    finally:
        subprocess.run(['umount', '-l', str(ro)], capture_output=True)


def test_a_database_file_removed_while_in_use_is_started_again_and_said(model, tmp_path,
                                                                         capsys):
    """Row 11: the database file deleted under a running station: said in one line, and
    the station records into a new file at the path instead of into the deleted one."""
    cam = tmp_path / 'cam'
    cam.mkdir()
    db_path = tmp_path / 'line.sqlite'
    db = _db(db_path)
    station = _station(model, db, cam)
    (cam / 'a.jpg').write_bytes(_frames(1)[0])
    station.run(stop_when_idle=0.0, handle_signals=False)
    os.remove(db_path)
    (cam / 'b.jpg').write_bytes(_frames(2)[1])
    stats = station.run(stop_when_idle=0.0, handle_signals=False)
    assert 'the database file was removed or replaced while in use' in capsys.readouterr().err
    assert stats['recorded'] == 2
    again = _db(db_path)
    assert [osp.basename(r[0]) for r in _rows(again)] == ['b.jpg']
