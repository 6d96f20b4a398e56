"""Checkpoints under torch >= 2.6: train, resume, test; refuse unsafe pickles."""
import inspect
import os.path as osp
import pathlib

import pytest
import torch

from conftest import CONFIG, run_tool, small_run_options

def test_resume_continues_from_saved_iteration(trained_ssd, synth_det):
    from mmdet_shuffledefect.compat import load_checkpoint_file
    work, ckpt = trained_ssd
    first = load_checkpoint_file(ckpt)
    iters_per_epoch = first['meta']['iter']
    assert first['meta']['epoch'] == 1 and iters_per_epoch > 0
    # message_hub holds HistoryBuffers and numpy values: the allowlist covers them
    assert 'message_hub' in first and 'optimizer' in first

    proc = run_tool(['tools/train.py', CONFIG, '--work-dir', work, '--resume', ckpt]
                    + small_run_options(synth_det, 2))
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert f'resumed epoch: 1, iter: {iters_per_epoch}' in log
    second = load_checkpoint_file(osp.join(work, 'epoch_2.pth'))
    assert second['meta']['epoch'] == 2
    assert second['meta']['iter'] == 2 * iters_per_epoch


def test_checkpoint_runs_through_tools_test(trained_ssd, synth_det):
    work, ckpt = trained_ssd
    proc = run_tool(['tools/test.py', CONFIG, ckpt, '--work-dir', work]
                    + small_run_options(synth_det, 1))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'pascal_voc/mAP' in proc.stdout + proc.stderr


class _WritesMarker:
    """Unpickling this calls ``Path.touch`` on the marker: arbitrary code."""

    def __init__(self, marker):
        self.marker = pathlib.Path(marker)

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker, ))


def _torch_load_default():
    return inspect.signature(torch.load).parameters['weights_only'].default


def test_malicious_checkpoint_is_refused(tmp_path):
    import mmdet_shuffledefect  # noqa: F401
    from mmengine.runner import CheckpointLoader
    from mmdet_shuffledefect.compat import UnsafeCheckpointError
    default_before = _torch_load_default()
    marker = tmp_path / 'marker'
    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': {'x': _WritesMarker(marker)}},
               str(evil))
    with pytest.raises(UnsafeCheckpointError) as info:
        CheckpointLoader.load_checkpoint(str(evil))
    assert not marker.exists()
    msg = str(info.value)
    assert str(evil) in msg
    assert 'MMDET_SDN_TRUST_CHECKPOINT=1' in msg and '--trust-checkpoint' in msg
    # torch.load's own default is untouched: still weights_only (refuses too)
    assert _torch_load_default() == default_before
    with pytest.raises(Exception, match='Weights only load failed'):
        torch.load(str(evil))
    assert not marker.exists()


def test_malicious_checkpoint_refused_by_cli(tmp_path, synth_det):
    marker = tmp_path / 'marker'
    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': {'x': _WritesMarker(marker)}}, str(evil))
    proc = run_tool(['tools/test.py', CONFIG, str(evil), '--work-dir', str(tmp_path / 'w')]
                    + small_run_options(synth_det, 1))
    assert proc.returncode != 0
    assert str(evil) in proc.stderr and '--trust-checkpoint' in proc.stderr
    assert not marker.exists()


def test_trusted_opt_in_loads_everything(tmp_path):
    from mmdet_shuffledefect.compat import load_checkpoint_file
    marker = tmp_path / 'marker'
    path = tmp_path / 'trusted.pth'
    torch.save({'meta': {'x': _WritesMarker(marker)}}, str(path))
    load_checkpoint_file(str(path), trust=True)
    assert marker.exists()  # the user explicitly trusted it


def test_truncated_checkpoint_is_reported(trained_ssd, tmp_path):
    import mmdet_shuffledefect  # noqa: F401
    from mmengine.runner import CheckpointLoader
    from mmdet_shuffledefect.compat import CorruptCheckpointError
    _, ckpt = trained_ssd
    data = pathlib.Path(ckpt).read_bytes()
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(CorruptCheckpointError, match='cut.pth is corrupt or truncated'):
        CheckpointLoader.load_checkpoint(str(cut))
    junk = tmp_path / 'junk.pth'
    junk.write_bytes(b'not a checkpoint at all')
    with pytest.raises(CorruptCheckpointError, match='junk.pth'):
        CheckpointLoader.load_checkpoint(str(junk))


def test_missing_checkpoint_and_config_exit_nonzero(tmp_path):
    proc = run_tool(['tools/test.py', CONFIG, str(tmp_path / 'nope.pth')])
    assert proc.returncode != 0 and 'nope.pth does not exist' in proc.stderr
    proc = run_tool(['tools/train.py', str(tmp_path / 'nope.py')])
    assert proc.returncode != 0 and 'nope.py does not exist' in proc.stderr
