"""Distillation between dense detectors: the losses, the teacher's checks, a real step."""
import os.path as osp

import pytest
import torch
from conftest import REPO

LINE = osp.join(REPO, 'configs', 'rtmdet',
                'rtmdet_sdn-2-4-2_fusion_head-0k3_120e-ema_neu-det.py')
TEACHER = osp.join(REPO, 'configs', 'rtmdet', 'rtmdet_sdn-1.0x_fusion_120e-ema_neu-det.py')
KD = osp.join(REPO, 'projects', 'shuffledefectnet_study', 'configs', 'kd_screen',
              'kd_rtmdet-sdn-1.0x_sdn-2-4-2_rtmdet_head-0k3_60e_neu-det.py')


def _outs(cls, box, n=1, hw=(4, 2)):
    return ([torch.full((n, 2, s, s), float(cls)) for s in hw],
            [torch.full((n, 4, s, s), float(box)) for s in hw])


def test_the_losses_vanish_only_where_student_and_teacher_agree():
    from mmdet_shuffledefect.models.detectors import dense_kd_losses, point_iou
    assert point_iou(torch.tensor([[1., 2., 3., 4.]]), torch.tensor([[1., 2., 3., 4.]])) \
        == pytest.approx(1.0, abs=1e-5)
    teacher = _outs(3.0, 8.0)                      # sure (p = 0.95) everywhere, 16-px boxes
    same = dense_kd_losses(_outs(3.0, 8.0), teacher)
    assert float(same['loss_kd_box']) == pytest.approx(0.0, abs=1e-6)
    # the BCE to soft targets bottoms out at the targets' entropy, not 0: compare to a miss
    miss = dense_kd_losses(_outs(-3.0, 2.0), teacher)
    assert float(miss['loss_kd_cls']) > float(same['loss_kd_cls']) + 1.0
    assert float(miss['loss_kd_box']) == pytest.approx(1 - 16 / 256, abs=1e-4)  # 4x4 in 16x16
    # a raw regression can be negative: the loss stays in [0, 1], never below
    wild = dense_kd_losses(_outs(3.0, -50.0), teacher)
    assert float(wild['loss_kd_box']) == pytest.approx(1.0, abs=1e-4)
    unsure = dense_kd_losses(_outs(-3.0, 2.0), _outs(-3.0, 8.0))  # p = 0.05 < 0.3
    assert float(unsure['loss_kd_box']) == 0.0
    student = _outs(0.0, 4.0)
    for part in student:
        for m in part:
            m.requires_grad_(True)
    out = dense_kd_losses(student, teacher)
    (out['loss_kd_cls'] + out['loss_kd_box']).backward()
    assert student[0][0].grad.abs().sum() > 0 and student[1][0].grad.abs().sum() > 0
    with pytest.raises(ValueError, match='different grids or classes'):
        dense_kd_losses(_outs(0.0, 1.0, hw=(4, 2)), _outs(0.0, 1.0, hw=(8, 4)))


def _student_cfg(**model):
    from mmengine.config import Config
    cfg = Config.fromfile(KD)
    cfg.model.teacher_ckpt = None  # a random teacher: the mechanics, not its knowledge
    cfg.model.update(model)
    return cfg


def test_a_teacher_that_cannot_teach_is_refused_by_name():
    import mmdet_shuffledefect  # noqa: F401
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    teacher = Config.fromfile(TEACHER)
    teacher.model.bbox_head.num_classes = 3
    teacher.model.bbox_head.anchor_generator.strides = [8, 16, 64]
    with pytest.raises(ValueError, match=r'cannot teach this student: strides \[\(8, 8\), '
                       r'\(16, 16\), \(64, 64\)\].*; 3 classes \(student 6\)'):
        MODELS.build(_student_cfg(teacher_config=teacher).model)
    with pytest.raises(ValueError, match='temperature must be > 0, got 0'):
        MODELS.build(_student_cfg(temperature=0).model)
    with pytest.raises(ValueError, match=r'box_score_thr must be in \[0, 1\), got 1.5'):
        MODELS.build(_student_cfg(box_score_thr=1.5).model)


def test_a_training_step_moves_the_student_only_and_the_checkpoint_is_the_students():
    """One real step: the losses carry the two distillation terms, the student's weights
    change, the teacher's do not, and the state dict loads into the line detector."""
    import mmdet_shuffledefect  # noqa: F401
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.structures import InstanceData
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(_student_cfg().model)
    model.train()
    assert not model.teacher_model.training
    samples = []
    for _ in range(2):
        s = DetDataSample(metainfo=dict(img_shape=(192, 192), pad_shape=(192, 192),
                                        batch_input_shape=(192, 192), scale_factor=(1., 1.)))
        s.gt_instances = InstanceData(bboxes=torch.tensor([[20., 30., 90., 120.]]),
                                      labels=torch.tensor([2]))
        samples.append(s)
    inputs = torch.randn(2, 3, 192, 192)
    losses = model.loss(inputs, samples)
    assert {'loss_cls', 'loss_bbox', 'loss_kd_cls', 'loss_kd_box'} <= set(losses)
    before_s = [p.detach().clone() for p in model.parameters()]
    before_t = [p.detach().clone() for p in model.teacher_model.parameters()]
    total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v) for v in losses.values())
    total.backward()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    assert any(not torch.equal(a, b) for a, b in zip(before_s, model.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(before_t, model.teacher_model.parameters()))
    state = model.state_dict()
    assert not any(k.startswith('teacher_model') for k in state)
    line = MODELS.build(Config.fromfile(LINE).model)
    result = line.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys


def test_train_py_distills_with_the_published_teacher_and_the_line_config_tests_it(
        synth_det, tmp_path):
    """tools/train.py on the screen config (the real Runner, EMA, the published teacher's
    weights), then tools/test.py of the student's checkpoint with the line detector's config."""
    from conftest import run_tool, small_run_options
    work = tmp_path / 'kd'
    proc = run_tool(['tools/train.py', KD, '--work-dir', str(work)]
                    + small_run_options(synth_det, 1))
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'loss_kd_cls' in log and 'loss_kd_box' in log
    ckpt = work / 'epoch_1.pth'
    state = torch.load(ckpt, map_location='cpu', weights_only=False)['state_dict']
    assert not any('teacher_model' in k for k in state)
    proc = run_tool(['tools/test.py', LINE, str(ckpt), '--data-root', str(synth_det),
                     '--work-dir', str(tmp_path / 'test'), '--cfg-options',
                     'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'pascal_voc/mAP' in proc.stdout + proc.stderr
