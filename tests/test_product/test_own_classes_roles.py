"""Own data on a role's config: a model trained on other classes with the line detector's
config runs in the inspection tools and the station with that same config and no flag, with
the stated default until choose_score_thr.py has written its own thresholds into it, and
with those after (issue #45 item 3)."""
import json
import os.path as osp
import shutil
import sqlite3

import pytest

from conftest import run_tool, small_run_options

LINE = 'configs/rtmdet/rtmdet_sdn-2-4-2_fusion_head-0k3_jitter-0.75-1.33_120e-ema_neu-det.py'
OWN = {'crazing': 'scale', 'inclusion': 'scale', 'patches': 'scale',
       'pitted_surface': 'hole', 'rolled-in_scale': 'hole', 'scratches': 'hole'}


@pytest.fixture(scope='module')
def own_model(synth_det, tmp_path_factory):
    """The synthetic sample relabelled to two classes of a plant's own, and one epoch of the
    line detector's config trained on it with --classes."""
    root = tmp_path_factory.mktemp('own_roles')
    data = root / 'data'
    shutil.copytree(synth_det, data)
    for xml in (data / 'ANNOTATIONS').iterdir():
        text = xml.read_text()
        for neu, own in OWN.items():
            text = text.replace(f'<name>{neu}</name>', f'<name>{own}</name>')
        xml.write_text(text)
    work = root / 'work'
    opts = small_run_options(str(data), 1)
    proc = run_tool(['tools/train.py', LINE, '--classes', 'scale', 'hole', '--work-dir',
                     str(work)] + opts[:2] + ['--cfg-options'] + opts[3:]
                    + ['default_hooks.checkpoint.interval=1'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return data, str(work / 'epoch_1.pth'), root


def _inspect(ckpt, src, out):
    proc = run_tool(['tools/inspect_defects.py', LINE, ckpt, str(src), '--out-dir', str(out),
                     '--no-images'])
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-2000:]
    return proc.stdout, json.loads((out / 'summary.json').read_text())


def test_a_model_of_other_classes_runs_with_the_roles_config_and_no_flag(own_model, tmp_path):
    data, ckpt, root = own_model
    src = tmp_path / 'pictures'
    src.mkdir()
    for name in sorted((data / 'IMAGES').iterdir())[:4]:
        shutil.copy(name, src / name.name)
    stdout, summary = _inspect(ckpt, src, tmp_path / 'before')
    assert summary['score_thr'] == 0.3 and sorted(summary['counts_per_class']) == ['hole',
                                                                                  'scale']
    assert 'the default (neither checkpoint nor config gives one)' in stdout
    # its own thresholds, chosen on its val split and written into a copy of the checkpoint
    proc = run_tool(['tools/analysis_tools/choose_score_thr.py', LINE, ckpt, '--classes',
                     'scale', 'hole', '--grid', '0.05,0.1,0.2', '--work-dir',
                     str(tmp_path / 'thr'), '--write-checkpoint', str(root / 'mine.pth'),
                     '--data-root', str(data), '--cfg-options', 'val_dataloader.num_workers=0',
                     'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
                     'test_dataloader.persistent_workers=False'])
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-3000:]
    (mine, ) = root.glob('mine-*.pth')
    assert f'wrote {mine}' in proc.stdout and "['scale', 'hole']" in proc.stdout
    from mmdet_shuffledefect.utils.checkpoint_fit import checkpoint_meta
    carried = checkpoint_meta(str(mine))['inspection_score_thr']
    stdout, summary = _inspect(str(mine), src, tmp_path / 'after')
    assert summary['score_thr'] == carried and f"the checkpoint's own ({mine})" in stdout
    # the station: the same config, no flag, every picture recorded
    db = tmp_path / 'line.sqlite'
    proc = run_tool(['tools/inspection_station.py', LINE, str(mine), '--watch', str(src),
                     '--db', str(db), '--stop-when-idle', '1', '--no-progress'])
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-2000:]
    assert "the checkpoint's own" in proc.stdout
    with sqlite3.connect(db) as con:
        assert con.execute('SELECT COUNT(*) FROM images').fetchone()[0] == 4


def test_choose_score_thr_names_a_bad_write_target(own_model, tmp_path):
    data, ckpt, _ = own_model
    blocker = tmp_path / 'file'
    blocker.write_text('not a folder')
    proc = run_tool(['tools/analysis_tools/choose_score_thr.py', LINE, ckpt, '--classes',
                     'scale', 'hole', '--grid', '0.1', '--work-dir', str(tmp_path / 'w'),
                     '--write-checkpoint', str(blocker / 'mine.pth'), '--data-root', str(data),
                     '--cfg-options', 'val_dataloader.num_workers=0',
                     'val_dataloader.persistent_workers=False'])
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f'--write-checkpoint {blocker}/mine.pth: {blocker} is not a writable folder' in \
        proc.stderr
    assert not (tmp_path / 'w').exists()  # refused before the val run
