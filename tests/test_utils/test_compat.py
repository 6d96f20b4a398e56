"""Upstream fixes: each names its issue and versions, each is needed by the installed
stack (the tests show the failure without it), and a fix the installed code no longer
needs is skipped with one message."""
import pickle

import numpy as np
import pytest
import torch


def test_every_fix_names_its_upstream_issue_and_versions():
    import importlib

    from mmdet_shuffledefect.compat import UPSTREAM_FIXES
    assert len({f.name for f in UPSTREAM_FIXES}) == len(UPSTREAM_FIXES) >= 2
    for fix in UPSTREAM_FIXES:
        assert fix.upstream.startswith('https://github.com/open-mmlab/'), fix.name
        assert fix.distribution in fix.affected, fix.name
        module = importlib.import_module(fix.apply.__module__)
        assert fix.upstream.rsplit('/', 1)[-1] in module.__doc__, fix.name


def test_installed_stack_needs_both_fixes_and_they_are_in_force():
    import mmdet_shuffledefect  # noqa: F401
    from mmdet_shuffledefect.compat import apply_upstream_fixes
    assert apply_upstream_fixes() == {'mmdet-ssd-loss-cls': True,
                                      'mmengine-weights-only': True,
                                      'mmpretrain-transformers5': False}  # no transformers 5


def _stock_ssd_head():
    from mmdet.models.dense_heads import SSDHead
    from mmengine.config import ConfigDict
    return SSDHead(
        num_classes=3, in_channels=(8, 8), use_depthwise=True,
        anchor_generator=dict(type='SSDAnchorGenerator', scale_major=False, input_size=64,
                              strides=[16, 32], ratios=[[2], [2]], min_sizes=[16, 32],
                              max_sizes=[32, 64]),
        test_cfg=ConfigDict(nms_pre=100, nms=dict(type='nms', iou_threshold=0.45),
                            min_bbox_size=0, score_thr=0.0, max_per_img=10)).eval()


def _predict(head):
    torch.manual_seed(0)
    feats = (torch.rand(1, 8, 4, 4), torch.rand(1, 8, 2, 2))
    with torch.no_grad():
        cls_scores, bbox_preds = head(feats)
        return head.predict_by_feat(cls_scores, bbox_preds,
                                    batch_img_metas=[dict(img_shape=(64, 64))], rescale=False)


def test_ssd_head_predicts_with_the_fix_and_fails_without(monkeypatch):
    import mmdet_shuffledefect  # noqa: F401
    from mmdet.models.dense_heads import SSDHead

    from mmdet_shuffledefect.compat.mmdet_ssd_loss_cls import ssd_head_lacks_loss_cls
    result = _predict(_stock_ssd_head())[0]
    assert result.bboxes.shape == (10, 4) and result.scores.shape == (10, )
    monkeypatch.delattr(SSDHead, 'loss_cls')
    assert ssd_head_lacks_loss_cls()  # the installed mmdet still has the bug
    with pytest.raises(AttributeError, match="no attribute 'loss_cls'"):
        _predict(_stock_ssd_head())


def _runner_like_checkpoint(path):
    """What mmengine's Runner stores besides tensors: HistoryBuffers and numpy values."""
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(0.5)
    torch.save({'state_dict': {'w': torch.ones(2)},
                'meta': {'seed': np.int64(3), 'arr': np.arange(3)},
                'message_hub': {'log_scalars': {'loss': buf}}}, str(path))


def test_mmengine_checkpoint_loads_with_the_fix_and_fails_without(tmp_path, monkeypatch):
    import mmdet_shuffledefect  # noqa: F401
    from mmengine.runner import CheckpointLoader
    from mmengine.runner import checkpoint as mmengine_checkpoint

    from mmdet_shuffledefect.compat.mmengine_weights_only import \
        mmengine_loads_without_weights_only
    path = tmp_path / 'runner.pth'
    _runner_like_checkpoint(path)
    loaded = CheckpointLoader.load_checkpoint(str(path))
    assert loaded['meta']['arr'].tolist() == [0, 1, 2]
    assert loaded['message_hub']['log_scalars']['loss'].current() == 0.5
    monkeypatch.setitem(CheckpointLoader._schemes, '', mmengine_checkpoint.load_from_local)
    assert mmengine_loads_without_weights_only()  # torch >= 2.6 + mmengine 0.10.x
    with pytest.raises(pickle.UnpicklingError, match='Weights only load failed'):
        CheckpointLoader.load_checkpoint(str(path))


def test_fix_not_needed_is_skipped_and_said_once(monkeypatch):
    from mmdet_shuffledefect import say_once
    from mmdet_shuffledefect.compat import upstream_fix
    said, applied = [], []
    monkeypatch.setattr(say_once, 'print_log', lambda msg, **kw: said.append(msg))
    fix = upstream_fix.UpstreamFix(
        name='test-fix-not-needed', distribution='mmengine', affected='mmengine 0.0.1',
        upstream='https://github.com/open-mmlab/mmengine/issues/1',
        is_needed=lambda: False, apply=lambda: applied.append(1))
    assert fix.apply_if_needed() is False
    assert fix.apply_if_needed() is False
    assert applied == []
    assert len(said) == 1
    assert "'test-fix-not-needed' skipped" in said[0] and 'mmengine 0.10' in said[0]
    assert 'issues/1' in said[0]


def test_fix_needed_is_applied(monkeypatch):
    from mmdet_shuffledefect.compat import upstream_fix
    applied = []
    fix = upstream_fix.UpstreamFix(
        name='test-fix-needed', distribution='mmdet', affected='mmdet 3.3.0',
        upstream='https://github.com/open-mmlab/mmdetection/issues/1',
        is_needed=lambda: True, apply=lambda: applied.append(1))
    assert fix.apply_if_needed() is True and applied == [1]
