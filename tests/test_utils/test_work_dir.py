"""Picking the best and the latest checkpoint of a work dir (utils/work_dir.py)."""
import os.path as osp

import pytest
import torch
from conftest import REPO

from mmdet_shuffledefect.utils.work_dir import (AmbiguousBestCheckpointError, best_checkpoint,
                                                latest_epoch_checkpoint, stale_best_warning)

BEST = 'best_pascal_voc_mAP_epoch_{}.pth'


def _ckpt(path, best_ckpt=None):
    info = {'best_score': 0.68, 'best_ckpt': best_ckpt} if best_ckpt else {}
    torch.save({'state_dict': {}, 'meta': {}, 'message_hub': {'runtime_info': info}}, path)


def _resumed_work_dir(root, record=True):
    """What a resume left in the project's seed-0 run: a stale best beside the real one."""
    work = root / 'run'
    work.mkdir()
    _ckpt(work / BEST.format(20))
    _ckpt(work / BEST.format(110))
    for epoch in (9, 118, 120):
        # recorded at training time under another (absolute) work dir path
        _ckpt(work / f'epoch_{epoch}.pth',
              f'/elsewhere/run/{BEST.format(110)}' if record else None)
    (work / 'last_checkpoint').write_text(str(work / 'epoch_120.pth'))
    return work


def test_recorded_best_wins_over_name_order(tmp_path):
    work = _resumed_work_dir(tmp_path)
    assert sorted([BEST.format(20), BEST.format(110)])[-1] == BEST.format(20)  # the old trap
    assert best_checkpoint(str(work)) == osp.join(str(work), BEST.format(110))


def test_latest_epoch_is_numeric(tmp_path):
    work = _resumed_work_dir(tmp_path)
    assert latest_epoch_checkpoint(str(work)) == osp.join(str(work), 'epoch_120.pth')
    assert latest_epoch_checkpoint(str(tmp_path)) is None


def test_several_best_without_record_refused_by_name(tmp_path):
    work = _resumed_work_dir(tmp_path, record=False)
    with pytest.raises(AmbiguousBestCheckpointError,
                       match=r'2 best checkpoints \(best_pascal_voc_mAP_epoch_20.pth, '
                             r'best_pascal_voc_mAP_epoch_110.pth\)'):
        best_checkpoint(str(work))


def test_single_or_no_best(tmp_path):
    assert best_checkpoint(str(tmp_path)) is None
    _ckpt(tmp_path / BEST.format(7))
    assert best_checkpoint(str(tmp_path)) == osp.join(str(tmp_path), BEST.format(7))


def test_stale_best_warning_names_the_recorded_one(tmp_path):
    work = _resumed_work_dir(tmp_path)
    message = stale_best_warning(str(work / BEST.format(20)))
    assert message and 'records best_pascal_voc_mAP_epoch_110.pth' in message
    assert stale_best_warning(str(work / BEST.format(110))) is None
    assert stale_best_warning(str(work / 'epoch_118.pth')) is None


def test_publish_refuses_a_stale_best(tmp_path, capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'publish_model', osp.join(REPO, 'tools', 'model_converters', 'publish_model.py'))
    publish_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(publish_model)
    work = _resumed_work_dir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        publish_model.main([str(work / BEST.format(20)), str(tmp_path / 'out' / 'model.pth')])
    assert exit_info.value.code != 0
    assert 'not the current best' in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()
