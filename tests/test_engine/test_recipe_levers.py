"""The accuracy-recipe levers: FocalSSDHead, the lever configs and the screening tool."""
import glob
import json
import os.path as osp

import pytest
import torch

from conftest import RECIPE_40E, REPO, STUDY_TOOLS, run_tool

STUDY = osp.join(REPO, 'projects', 'shuffledefectnet_study', 'configs')
LEVERS = sorted(glob.glob(osp.join(STUDY, 'recipe_ablation', '*.py')))
ANCHORS = dict(type='SSDAnchorGenerator', scale_major=False, input_size=64, strides=[16, 32],
               ratios=[[2], [2]], min_sizes=[16, 32], max_sizes=[32, 64])
TRAIN_CFG = dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                               min_pos_iou=0.0, ignore_iof_thr=-1, gt_max_assign_all=False),
                 sampler=dict(type='PseudoSampler'), smoothl1_beta=1.0, allowed_border=-1,
                 pos_weight=-1, neg_pos_ratio=3, debug=False)
TEST_CFG = dict(nms_pre=100, nms=dict(type='nms', iou_threshold=0.45), min_bbox_size=0,
                score_thr=0.02, max_per_img=10)


def _registered():
    import mmdet_shuffledefect  # noqa: F401
    from mmdet.utils import register_all_modules
    register_all_modules()


def _heads(num_classes=3):
    _registered()
    from mmdet_shuffledefect.models.dense_heads import FastSSDHead, FocalSSDHead
    torch.manual_seed(0)
    kwargs = dict(num_classes=num_classes, in_channels=(8, 8), anchor_generator=ANCHORS,
                  train_cfg=TRAIN_CFG, test_cfg=TEST_CFG)
    focal, ssd = FocalSSDHead(**kwargs), FastSSDHead(**kwargs)
    focal.init_weights()
    return focal, ssd


def _gt(boxes, labels):
    from mmengine.structures import InstanceData
    return InstanceData(bboxes=torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                        labels=torch.as_tensor(labels, dtype=torch.long))


def test_focal_ssd_head_scores_classes_with_sigmoid_from_prior():
    focal, ssd = _heads(num_classes=3)
    assert focal.use_sigmoid_cls and focal.cls_out_channels == 3
    for f_branch, s_branch, priors in zip(focal.cls_convs, ssd.cls_convs,
                                          focal.num_base_priors):
        assert f_branch[-1].out_channels == 3 * priors  # no background channel
        assert s_branch[-1].out_channels == 4 * priors
        assert torch.allclose(f_branch[-1].bias.sigmoid(), torch.full((3 * priors, ), 0.01))


def test_focal_ssd_head_loss_is_focal_over_every_anchor_and_ssd_box_loss():
    """Reference: torchvision's sigmoid_focal_loss summed over all anchors / positives;
    the box loss equals SSD's (same targets, same regression weights)."""
    from torchvision.ops import sigmoid_focal_loss
    focal, ssd = _heads(num_classes=3)
    ssd.reg_convs.load_state_dict(focal.reg_convs.state_dict())
    feats = (torch.randn(2, 8, 4, 4), torch.randn(2, 8, 2, 2))
    gts = [_gt([[4., 4., 30., 20.], [20., 30., 60., 60.]], [0, 2]), _gt([[0., 0., 64., 40.]], [1])]
    metas = [dict(img_shape=(64, 64), pad_shape=(64, 64))] * 2
    cls_scores, bbox_preds = focal(feats)
    losses = focal.loss_by_feat(cls_scores, bbox_preds, gts, metas)
    anchors, valid = focal.get_anchors([c.shape[-2:] for c in cls_scores], metas, 'cpu')
    labels, _, _, _, avg_factor = focal.get_targets(anchors, valid, gts, metas)
    labels = torch.cat(labels, 1).reshape(-1)
    logits = torch.cat([c.permute(0, 2, 3, 1).reshape(2, -1, 3) for c in cls_scores],
                       1).reshape(-1, 3)
    onehot = torch.nn.functional.one_hot(labels, 4)[:, :3].float()
    expected = sigmoid_focal_loss(logits, onehot, alpha=0.25, gamma=2.0,
                                  reduction='sum') / avg_factor
    assert avg_factor >= 3 and (labels < 3).sum() == avg_factor
    assert torch.allclose(losses['loss_cls'], expected, rtol=1e-5)
    ssd_losses = ssd.loss_by_feat(list(ssd(feats)[0]), bbox_preds, gts, metas)
    assert torch.allclose(losses['loss_bbox'], sum(ssd_losses['loss_bbox']), rtol=1e-5)
    # unlike SSD's mining, the loss is not cut to 3 negatives per positive: an image
    # without boxes still has a classification loss (all its anchors are negatives)
    empty = focal.loss_by_feat(cls_scores, bbox_preds, [_gt([], [])] * 2,
                               metas)
    assert empty['loss_cls'] > 0 and empty['loss_bbox'] == 0


def test_focal_ssd_head_predicts_sigmoid_scores_of_the_right_class():
    focal, _ = _heads(num_classes=3)
    for branch in focal.cls_convs:
        last = branch[-1]
        torch.nn.init.zeros_(last.weight)
        bias = torch.full((last.out_channels, ), -6.0)
        bias[1::3] = 5.0  # class 1 of every anchor
        last.bias.data.copy_(bias)
    focal.eval()
    with torch.no_grad():
        outs = focal((torch.randn(1, 8, 4, 4), torch.randn(1, 8, 2, 2)))
        res = focal.predict_by_feat(*outs, batch_img_metas=[dict(img_shape=(64, 64))])[0]
    assert len(res) > 0 and set(res.labels.tolist()) == {1}
    assert torch.allclose(res.scores, torch.full_like(res.scores, torch.tensor(5.0).sigmoid()))


def test_focal_ssd_head_rejects_bad_arguments():
    _registered()
    from mmdet_shuffledefect.models.dense_heads import FocalSSDHead
    with pytest.raises(ValueError, match='prior_prob must be in'):
        FocalSSDHead(num_classes=2, in_channels=(8, 8), anchor_generator=ANCHORS,
                     prior_prob=0.0)
    with pytest.raises(ValueError, match='sigmoid loss_cls'):
        FocalSSDHead(num_classes=2, in_channels=(8, 8), anchor_generator=ANCHORS,
                     loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False))


@pytest.mark.parametrize('config', LEVERS, ids=osp.basename)
def test_lever_configs_build_within_the_parameter_budget(config):
    """Each lever is the 40-epoch recipe plus one change; every one builds, detects
    and stays within the recipe budget of 3 M parameters."""
    _registered()
    from mmdet.registry import MODELS
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    recipe = Config.fromfile(osp.join(REPO, RECIPE_40E))
    assert cfg.classes == recipe.classes and cfg.input_size == recipe.input_size
    model = MODELS.build(cfg.model).eval()
    assert sum(p.numel() for p in model.parameters()) <= 3_000_000
    with torch.no_grad():
        cls_scores, _ = model._forward(torch.zeros(1, 3, 192, 192))
    assert len(cls_scores) == 6


def test_schedule_overrides_shorten_the_epoch_schedulers_only():
    from mmengine.config import Config

    from mmdet_shuffledefect.utils.config_data import schedule_overrides
    cfg = Config.fromfile(osp.join(REPO, RECIPE_40E))
    assert schedule_overrides(cfg, 20) == {
        'train_cfg.max_epochs': 20, 'param_scheduler.1.end': 20, 'param_scheduler.1.T_max': 20}
    with pytest.raises(ValueError, match='epochs must be >= 1, got 0'):
        schedule_overrides(cfg, 0)
    with pytest.raises(ValueError, match='no train_cfg.max_epochs'):
        schedule_overrides(Config(dict(train_cfg=dict(max_iters=100))), 5)


def test_screen_recipe_trains_records_tabulates_and_skips_finished_runs(synth_det, tmp_path):
    ema = osp.join(STUDY, 'recipe_ablation', 'ssd_sdn_ema.py')
    out = tmp_path / 'ablation.md'
    out.write_text('# Ablation\n\nOur discussion stays.\n')
    opts = ['train_cfg.val_interval=1', 'default_hooks.logger.interval=1']
    for loader in ('train_dataloader', 'val_dataloader'):
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    cmd = [f'{STUDY_TOOLS}/screen_recipe.py', RECIPE_40E, ema, '--epochs', '2',
           '--seed', '3', '--work-root', str(tmp_path / 'screen'), '--out', str(out),
           '--data-root', synth_det, '--cfg-options'] + opts
    proc = run_tool(cmd)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    text = out.read_text()
    assert text.startswith('# Ablation\n\nOur discussion stays.\n')
    rows = [line for line in text.splitlines() if line.startswith('| `')]
    assert [r.split('|')[1].strip() for r in rows] == [
        f'`{osp.basename(RECIPE_40E)}`', '`ssd_sdn_ema.py`']
    for row in rows:
        cells = [c.strip() for c in row.split('|')[1:-1]]
        assert cells[1] == '2/2' and cells[2] == '3' and 0.0 <= float(cells[3]) <= 1.0
    assert rows[1].split('|')[5].strip().startswith(('+', '-'))
    record = json.loads((tmp_path / 'screen' / 'ssd_sdn_ema_2e_seed3' / 'run.json').read_text())
    assert record['rc'] == 0 and record['seed'] == 3 and record['cpu_min'] > 0
    assert 'torch ' in record['environment'] and 'environment of the runs: ' in text
    assert '--epochs 2' in record['command'] and 'randomness.seed=3' in record['command']
    log = (tmp_path / 'screen' / 'ssd_sdn_ema_2e_seed3' / 'train_stdout.log').read_text()
    scaled = next(line for line in log.splitlines() if line.startswith('--epochs 2: '))
    for option in ('train_cfg.max_epochs=2', 'param_scheduler.1.end=2',
                   'param_scheduler.1.T_max=2'):
        assert option in scaled
    assert 'val_interval' not in scaled  # given in --cfg-options, so kept at 1
    again = run_tool(cmd)
    assert again.returncode == 0 and again.stdout.count('finished before, skipped') == 2


def test_screen_recipe_names_a_missing_config(tmp_path):
    proc = run_tool([f'{STUDY_TOOLS}/screen_recipe.py', 'configs/nope.py', '--epochs', '2',
                     '--work-root', str(tmp_path)])
    assert proc.returncode != 0 and 'config not found: configs/nope.py' in proc.stderr
