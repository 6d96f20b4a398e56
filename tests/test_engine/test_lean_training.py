"""The lean training step: grouped (fused) optimizer with mmengine's per-parameter rules,
and batched targets/losses equal to mmdet's per-image ones."""
import copy
import os.path as osp

import pytest
import torch

from conftest import CONFIG, REPO, STUDY_TOOLS


def _build(config=CONFIG, **head):
    import mmdet_shuffledefect  # noqa: F401
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, config))
    cfg.model.bbox_head.update(head)
    torch.manual_seed(0)
    return cfg, MODELS.build(cfg.model)


def _samples(num_boxes, size=192, seed=0, ignore=0):
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    g = torch.Generator().manual_seed(seed)
    samples = []
    for n in num_boxes:
        xy = torch.rand(n, 2, generator=g) * (size - 40)
        wh = torch.rand(n, 2, generator=g) * 60 + 4
        wh[::3, 0] *= 0.15  # some long thin boxes, as scratches
        sample = DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                             scale_factor=(1.0, 1.0), pad_shape=(size, size),
                                             batch_input_shape=(size, size)))
        sample.gt_instances = InstanceData(
            bboxes=torch.cat([xy, (xy + wh).clamp(max=size)], 1),
            labels=torch.randint(0, 6, (n, ), generator=g))
        ig = torch.tensor([[10., 10., 60., 50.]] * ignore).reshape(-1, 4)
        sample.ignored_instances = InstanceData(bboxes=ig, labels=torch.zeros(ignore).long())
        samples.append(sample)
    return samples


def _feats(model, batch, seed=1):
    torch.manual_seed(seed)
    return model.extract_feat(torch.randn(batch, 3, 192, 192))


CASES = {
    'ordinary': [3, 5],
    'an image without boxes': [0, 4, 2],
    'many boxes': [40, 25],
    'all empty': [0, 0],
}


@pytest.mark.parametrize('case', list(CASES))
@pytest.mark.parametrize('config,stock_type', [(CONFIG, 'SSDHead'),
                                                ('configs/sdn_retinanet_neu.py', 'RetinaHead')])
def test_batched_losses_equal_stock_head(case, config, stock_type):
    from mmdet.registry import MODELS
    cfg, model = _build(config)
    stock_cfg = copy.deepcopy(cfg.model.bbox_head)
    stock_cfg.type = stock_type
    stock_cfg.pop('nms_chunk', None)
    stock = MODELS.build(stock_cfg)
    stock.load_state_dict(model.bbox_head.state_dict())
    model.train(), stock.train()
    samples = _samples(CASES[case], seed=len(case))
    feats = _feats(model, len(samples))
    with torch.no_grad():
        ours = model.bbox_head.loss(feats, samples)
        theirs = stock.loss(feats, samples)
    assert set(ours) == set(theirs)
    for key in ours:
        assert len(ours[key]) == len(theirs[key]), key
        for a, b in zip(ours[key], theirs[key]):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    total = sum(float(sum(v) if isinstance(v, list) else v) for v in ours.values())
    if case != 'all empty':  # (SSD mines no negatives without positives: 0 is right there)
        assert total > 0


@pytest.mark.parametrize('ignore_iof_thr', [-1, 0.5])
def test_ignored_boxes_are_handled_as_today(ignore_iof_thr):
    """With ignore_iof_thr=-1 (the configs) ignored boxes change nothing, as in mmdet;
    with ignore_iof_thr > 0 the head takes mmdet's own path. Either way: mmdet's values."""
    import mmdet_shuffledefect  # noqa: F401
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, CONFIG))
    cfg.model.train_cfg.assigner.ignore_iof_thr = ignore_iof_thr
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    cfg.model.bbox_head.type = 'SSDHead'
    stock = MODELS.build(cfg.model)
    stock.load_state_dict(model.state_dict())
    samples = _samples([3, 2], seed=5, ignore=1)
    feats = _feats(model, 2)
    with torch.no_grad():
        ours = model.bbox_head.loss(feats, samples)
        theirs = stock.bbox_head.loss(feats, samples)
    for key in ours:
        for a, b in zip(ours[key], theirs[key]):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    uses_batched = model.bbox_head.batched_targets_apply(
        [s.ignored_instances for s in samples], True, False)
    assert uses_batched == (ignore_iof_thr < 0)


@pytest.mark.parametrize('assign_all', [False, True])
def test_batched_assignment_equals_max_iou_assigner(assign_all):
    from mmdet.models.task_modules.assigners import MaxIoUAssigner
    from mmengine.structures import InstanceData

    from mmdet_shuffledefect.models.dense_heads import max_iou_assign
    assigner = MaxIoUAssigner(pos_iou_thr=0.5, neg_iou_thr=0.4, min_pos_iou=0.0,
                              gt_max_assign_all=assign_all)
    g = torch.Generator().manual_seed(3)
    anchors = torch.rand(300, 2, generator=g) * 100
    anchors = torch.cat([anchors, anchors + torch.rand(300, 2, generator=g) * 40 + 2], 1)
    anchors = torch.cat([anchors, anchors[:20]])  # duplicate anchors: ties in the best IoU
    gts = [anchors[[5, 5, 17]] + 0.5, anchors[:0], anchors[[40, 41, 42, 43]] * 1.1]
    size = max(len(x) for x in gts)
    padded = torch.zeros(3, size, 4)
    valid = torch.zeros(3, size, dtype=torch.bool)
    for i, x in enumerate(gts):
        padded[i, :len(x)], valid[i, :len(x)] = x, True
    from mmdet.structures.bbox import bbox_overlaps
    overlaps = bbox_overlaps(padded, anchors.expand(3, -1, 4))
    got = max_iou_assign(overlaps, valid, 0.5, 0.4, 0.0, assign_all, True)
    for i, x in enumerate(gts):
        want = assigner.assign(InstanceData(priors=anchors),
                               InstanceData(bboxes=x, labels=torch.zeros(len(x)).long()))
        assert torch.equal(got[i], want.gt_inds), i


def _one_step(model, constructor, paramwise_cfg):
    import mmdet_shuffledefect  # noqa: F401
    from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
    ctor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type=constructor, optim_wrapper_cfg=dict(
            type='OptimWrapper', optimizer=dict(type='AdamW', lr=0.004, weight_decay=0.05),
            clip_grad=dict(max_norm=10.0)), paramwise_cfg=paramwise_cfg))
    wrapper = ctor(model)
    model.train()
    samples = _samples([3, 4], seed=9)
    losses = model.loss(torch.randn(2, 3, 192, 192, generator=torch.Generator().manual_seed(4)),
                        samples)
    loss, _ = model.parse_losses(losses)
    wrapper.update_params(loss)
    return wrapper


@pytest.mark.parametrize('paramwise_cfg', [
    dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
         custom_keys={'backbone': dict(lr_mult=0.1), 'neck.': dict(decay_mult=0.5)}),
])
def test_grouped_optimizer_step_equals_mmengine(paramwise_cfg):
    _, model = _build()
    twin = copy.deepcopy(model)
    start = copy.deepcopy(model)
    theirs = _one_step(twin, 'DefaultOptimWrapperConstructor', paramwise_cfg)
    ours = _one_step(model, 'GroupedOptimWrapperConstructor', paramwise_cfg)
    n_params = len([p for p in model.parameters() if p.requires_grad])
    assert len(theirs.optimizer.param_groups) == n_params
    assert len(ours.optimizer.param_groups) <= 6
    assert ours.optimizer.defaults.get('fused') is True
    for (name, a), (_, b) in zip(model.named_parameters(), twin.named_parameters()):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0, msg=name)
    moved = sum(float((a - b).detach().abs().sum()) for a, b in zip(model.parameters(),
                                                                    start.parameters()))
    assert moved > 0  # the step did change the parameters


def test_resuming_another_group_layout_names_the_cause():
    _, model = _build()
    theirs = _one_step(copy.deepcopy(model), 'DefaultOptimWrapperConstructor',
                       dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
    ours = _one_step(model, 'GroupedOptimWrapperConstructor',
                     dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
    with pytest.raises(ValueError, match=r'cannot resume the optimizer state: the checkpoint '
                       r'has \d+ parameter groups, this run [1-6] .*DefaultOptimWrapperConstructor'):
        ours.load_state_dict(theirs.state_dict())
    ours.load_state_dict(ours.state_dict())  # its own layout resumes


def test_configs_use_the_lean_step():
    from mmengine.config import Config
    for config in (CONFIG, 'configs/sdn_retinanet_neu.py',
                   'configs/classification/sdn-1.0x_linear_30e_neu-cls.py'):
        cfg = Config.fromfile(osp.join(REPO, config))
        assert cfg.optim_wrapper.constructor == 'GroupedOptimWrapperConstructor', config


def test_train_step_benchmark_prints_both_variants(tmp_path):
    from conftest import run_tool
    out = tmp_path / 'train_speed.md'
    proc = run_tool([f'{STUDY_TOOLS}/benchmark_train_step.py', CONFIG, '--batch-size',
                     '2', '--warmup', '0', '--steps', '1', '--threads', '2', '--out', str(out)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [l.split('|')[1:-1] for l in proc.stdout.splitlines() if l.startswith('| ')][1:]
    assert [r[0].strip() for r in rows] == ['stock', 'lean']
    stock, lean = rows
    assert int(stock[5]) > 100 and int(lean[5]) <= 6  # one group per tensor vs grouped
    assert lean[6].strip() == 'True' and float(lean[3]) > 0
    assert out.read_text().count('| lean |') == 1
