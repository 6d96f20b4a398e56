"""The inspection record in SQLite (#28 item 2, one-shot mode): every image by content with
its defects and the model, one transaction per batch, images recorded before skipped, a
different model recorded beside, nothing half-written."""
import shutil
import sqlite3

import pytest

from conftest import CKPT_40E, RECIPE_40E, run_tool


@pytest.fixture(scope='module')
def pictures(tmp_path_factory):
    """Five synthetic steel pictures (one with a space and non-ASCII in its name), a
    zero-byte file and a corrupt one."""
    from mmdet_shuffledefect.data_prep.synthetic import write_neu_det
    root = tmp_path_factory.mktemp('syn')
    write_neu_det(str(root), num_images=5, seed=4)
    folder = tmp_path_factory.mktemp('line')
    for i, src in enumerate(sorted((root / 'IMAGES').iterdir())):
        shutil.copy(src, folder / (f'coil {i} Stahl-ü.jpg' if i == 0 else src.name))
    (folder / 'empty.jpg').write_bytes(b'')
    (folder / 'corrupt.jpg').write_bytes(b'\xff\xd8\xff not really a jpeg')
    return folder


def _inspect(folder, out, db, *more):
    return run_tool(['tools/inspect_defects.py', RECIPE_40E, CKPT_40E, str(folder), '--out-dir',
                     str(out), '--db', str(db), '--batch-size', '4', '--no-images', *more])


def test_every_image_recorded_once_with_its_defects(pictures, tmp_path):
    db = tmp_path / 'line.sqlite'
    proc = _inspect(pictures, tmp_path / 'r1', db, '--score-thr', '0.05')
    assert proc.returncode == 0, proc.stderr[-2000:]
    conn = sqlite3.connect(db)
    assert conn.execute('PRAGMA journal_mode').fetchone()[0] == 'wal'
    rows = dict(conn.execute('SELECT path, status FROM images').fetchall())
    assert len(rows) == 7
    assert {p.rsplit('/', 1)[-1] for p, s in rows.items() if s == 'unreadable'} == {
        'empty.jpg', 'corrupt.jpg'}
    assert any('coil 0 Stahl-ü.jpg' in p for p in rows)
    dets = conn.execute('SELECT COUNT(*) FROM detections').fetchone()[0]
    report = sum(1 for line in (tmp_path / 'r1' / 'report.csv').read_text().splitlines()
                 if ',defect,' in line)
    assert dets == report > 0  # the database and the report agree
    orphans = conn.execute('SELECT COUNT(*) FROM detections d LEFT JOIN images i '
                           'ON d.image_id = i.id WHERE i.id IS NULL').fetchone()[0]
    assert orphans == 0
    model = conn.execute('SELECT backend, precision, score_thr FROM models').fetchall()
    assert model == [('pytorch', 'f32', 0.05)]

    again = _inspect(pictures, tmp_path / 'r2', db, '--score-thr', '0.05')
    assert again.returncode == 0, again.stderr[-2000:]
    assert '7 images skipped (recorded before)' in again.stdout
    assert conn.execute('SELECT COUNT(*) FROM images').fetchone()[0] == 7

    other = _inspect(pictures, tmp_path / 'r3', db, '--score-thr', '0.5')
    assert other.returncode == 0, other.stderr[-2000:]
    assert conn.execute('SELECT COUNT(*) FROM models').fetchone()[0] == 2
    assert conn.execute('SELECT COUNT(*) FROM images').fetchone()[0] == 14


def test_a_file_that_is_not_a_database_is_refused(pictures, tmp_path):
    bad = tmp_path / 'notes.sqlite'
    bad.write_text('shift notes, not a database\n' * 100)
    proc = _inspect(pictures, tmp_path / 'r', bad)
    assert proc.returncode == 1 and f'{bad} is not a usable results database' in proc.stderr


def test_a_batch_is_recorded_whole_or_not_at_all(tmp_path):
    from mmdet_shuffledefect.inspection.results_db import ResultsDB
    db = ResultsDB(str(tmp_path / 'r.sqlite'), dict(config='c', weights_sha256='w',
                                                   backend='pytorch', precision='f32',
                                                   score_thr=0.3))
    good = dict(path='a.jpg', sha256='a', status='defect', defects=[dict(
        cls='crazing', score=0.8, box=[0, 0, 5, 5], area_px=25.0, area_pct=1.0)])
    broken = dict(path='b.jpg', sha256='b', status='defect', defects=[dict(
        cls='crazing', score=0.8, box=[0, 0, 5], area_px=1.0, area_pct=1.0)])  # 3 coordinates
    with pytest.raises(sqlite3.Error):
        db.record_batch([good, broken])
    assert db.counts() == {'images': 0, 'detections': 0}  # rolled back, a.jpg too
    db.record_batch([good])
    assert db.counts() == {'images': 1, 'detections': 1}
