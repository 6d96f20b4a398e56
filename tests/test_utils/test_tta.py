"""Test-time augmentation (``tools/test.py --tta``, ``mmdet_shuffledefect.utils.tta``): the
views are built from the config's test pipeline, a flipped view's boxes come back in the
original picture's coordinates, one unflipped view gives the plain test's detections, and
bad arguments are refused by name."""
import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from conftest import REPO, no_worker_options, run_tool

FINAL = 'configs/rtmdet/rtmdet_sdn-1.0x_fusion_120e-ema_neu-det.py'
CKPT = osp.join(REPO, 'checkpoints',
                'rtmdet_sdn-1.0x_fusion_120e-ema_neu-det_20261202_105041-787deb4d.pth')


def test_views_follow_the_test_pipeline():
    from mmengine.config import Config

    from mmdet_shuffledefect.utils.tta import tta_pipeline
    cfg = Config.fromfile(osp.join(REPO, FINAL))
    pipeline = cfg.test_dataloader.dataset.pipeline
    tta = tta_pipeline(pipeline, sizes=[192, 256], flips=['none', 'horizontal', 'vertical'])
    assert [s['type'] for s in tta] == ['LoadImageFromFile', 'TestTimeAug']
    resizes, flips, *rest = tta[1]['transforms']
    assert [r['scale'] for r in resizes] == [(192, 192), (256, 256)]
    assert all(r['keep_ratio'] is False for r in resizes)  # the config's Resize, rescaled
    assert [(f['prob'], f.get('direction')) for f in flips] == [
        (0.0, None), (1.0, 'horizontal'), (1.0, 'vertical')]
    assert [r[0]['type'] for r in rest] == ['LoadAnnotations', 'PackDetInputs']
    assert rest[-1][0]['meta_keys'][-2:] == ('flip', 'flip_direction')
    # default: the pipeline's own size
    assert tta_pipeline(pipeline)[1]['transforms'][0][0]['scale'] == (192, 192)


@pytest.mark.parametrize('kwargs, message', [
    (dict(flips=['sideways']), "unknown flip(s) ['sideways']"),
    (dict(flips=[]), 'no flips given'),
    (dict(sizes=[16]), 'input sizes must be integers >= 32 pixels, got [16]'),
])
def test_bad_views_are_named(kwargs, message):
    from mmdet_shuffledefect.utils.tta import tta_pipeline
    pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(192, 192))]
    with pytest.raises(ValueError) as err:
        tta_pipeline(pipeline, **kwargs)
    assert message in str(err.value)


def test_non_square_resize_is_refused():
    from mmdet_shuffledefect.utils.tta import tta_pipeline
    pipeline = [dict(type='Resize', scale=(256, 192)), dict(type='PackDetInputs')]
    with pytest.raises(ValueError,
                       match=r'the test Resize step resizes to 256x192; TTA needs a square size'):
        tta_pipeline(pipeline)


def test_pipeline_without_resize_is_refused():
    from mmdet_shuffledefect.utils.tta import tta_pipeline
    with pytest.raises(ValueError, match='no Resize step to scale; steps: LoadImageFromFile, '
                       'PackDetInputs'):
        tta_pipeline([dict(type='LoadImageFromFile'), dict(type='PackDetInputs')])


def test_ema_hook_is_dropped_and_nms_is_the_models():
    from mmengine.config import Config

    from mmdet_shuffledefect.utils.tta import set_tta
    cfg = Config.fromfile(osp.join(REPO, FINAL))
    assert any(h['type'] == 'EMAHook' for h in cfg.custom_hooks)
    line = set_tta(cfg, flips=['none', 'vertical'])
    assert line.startswith('TTA: 2 views per picture (sizes [192] x flips [none, vertical])')
    assert cfg.model.type == 'DetTTAModel'
    assert cfg.model.module.bbox_head.type == 'FastRTMDetSepBNHead'
    assert cfg.model.tta_cfg.nms.iou_threshold == 0.5  # the final config's
    assert cfg.model.tta_cfg.max_per_img == cfg.model.module.test_cfg.max_per_img
    assert not any(h['type'] == 'EMAHook' for h in cfg.custom_hooks)


def _views(model, tta_cfg, img):
    """The TTA model's detections for one picture, and the plain model's for the same
    picture flipped horizontally, both through the config's pipelines."""
    from mmcv.transforms import Compose
    from mmengine.dataset import pseudo_collate
    pipeline = [dict(type='mmdet.LoadImageFromNDArray')] + list(
        tta_cfg.test_dataloader.dataset.pipeline[1:])
    pipeline = [dict(p) for p in pipeline]
    pipeline[-1]['transforms'] = [t for t in pipeline[-1]['transforms']
                                  if t[0]['type'] != 'LoadAnnotations']
    data = Compose(pipeline)(dict(img=img, img_id=0, img_path=''))
    return pseudo_collate([data])


def test_flipped_view_comes_back_in_picture_coordinates(tmp_path):
    """TTA with the horizontally flipped view only equals the plain model on the picture
    flipped by hand, its boxes mirrored: the flip is undone, at the right width."""
    import cv2
    from mmdet.apis import init_detector
    from mmdet.registry import MODELS
    from mmengine.config import Config

    import mmdet_shuffledefect  # noqa: F401
    from mmdet_shuffledefect.data_prep.synthetic import write_neu_det
    from mmdet_shuffledefect.utils.tta import set_tta
    write_neu_det(str(tmp_path), num_images=6, seed=3)
    name = sorted((tmp_path / 'IMAGES').iterdir())[0]
    # the picture at the pipeline's size, so the Resize is exact and only the flip differs
    img = cv2.resize(cv2.imread(str(name)), (192, 192))
    cfg = Config.fromfile(osp.join(REPO, FINAL))
    cfg.model.test_cfg.score_thr = 0.001  # many boxes, so a wrong mirror cannot hide
    model = init_detector(cfg, CKPT, device='cpu').eval()
    tta_cfg = Config.fromfile(osp.join(REPO, FINAL))
    tta_cfg.model.test_cfg.score_thr = 0.001
    set_tta(tta_cfg, flips=['horizontal'])
    tta_model = MODELS.build(tta_cfg.model)
    tta_model.module = model
    tta_model.eval()
    with torch.no_grad():
        merged = tta_model.test_step(_views(model, tta_cfg, img))[0].pred_instances
        plain_cfg = Config.fromfile(osp.join(REPO, FINAL))
        set_tta(plain_cfg, flips=['none'])
        plain = model.test_step(
            {k: v[0] for k, v in _views(model, plain_cfg, img[:, ::-1].copy()).items()}
        )[0].pred_instances
    assert len(plain) > 20 and len(merged) == len(plain)
    mirrored = plain.bboxes.clone()
    mirrored[:, 0], mirrored[:, 2] = 192 - plain.bboxes[:, 2], 192 - plain.bboxes[:, 0]
    order_m = torch.argsort(merged.scores, descending=True, stable=True)
    order_p = torch.argsort(plain.scores, descending=True, stable=True)
    np.testing.assert_allclose(merged.scores[order_m], plain.scores[order_p], atol=1e-6)
    np.testing.assert_allclose(merged.bboxes[order_m], mirrored[order_p], atol=1e-3)
    assert torch.equal(merged.labels[order_m], plain.labels[order_p])


def test_one_unflipped_view_equals_the_plain_test(synth_det, tmp_path):
    """``--tta --tta-flips none`` on the val split (``--split val``): the same detections as
    the plain test (the merge NMS finds nothing left to suppress)."""
    outs = {}
    for name, extra in (('plain', []), ('tta', ['--tta', '--tta-flips', 'none'])):
        out = tmp_path / f'{name}.pkl'
        proc = run_tool(['tools/test.py', FINAL, CKPT, '--split', 'val', '--data-root',
                         synth_det, '--work-dir', str(tmp_path / name), '--out', str(out)]
                        + extra + ['--cfg-options'] + no_worker_options())
        assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-3000:]
        assert 'evaluating the val split (--split val)' in proc.stdout
        outs[name] = pickle.loads(out.read_bytes())
    assert 'TTA: 1 view per picture (sizes [192] x flips [none])' in proc.stdout
    assert len(outs['tta']) == len(outs['plain']) == 6  # the synthetic val split
    for a, b in zip(outs['plain'], outs['tta']):
        assert a['img_path'] == b['img_path']
        pa, pb = a['pred_instances'], b['pred_instances']
        assert len(pa['bboxes']) > 0
        order_a = torch.argsort(pa['scores'], descending=True, stable=True)
        order_b = torch.argsort(pb['scores'], descending=True, stable=True)
        np.testing.assert_allclose(pa['bboxes'][order_a], pb['bboxes'][order_b], atol=1e-4)
        assert torch.equal(pa['labels'][order_a], pb['labels'][order_b])


def test_split_val_keeps_the_test_evaluator_options(synth_det, tmp_path):
    """``--split val`` swaps in the val evaluator; the ``test_evaluator.*`` options given must
    reach it (they were dropped with the test evaluator: IoU 0.5 only, silently)."""
    proc = run_tool(['tools/test.py', FINAL, CKPT, '--split', 'val', '--data-root', synth_det,
                     '--work-dir', str(tmp_path), '--cfg-options',
                     'test_evaluator.iou_thrs=[0.3,0.5]'] + no_worker_options())
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-3000:]
    assert 'pascal_voc/AP30:' in proc.stdout and 'pascal_voc/AP50:' in proc.stdout


def test_split_val_refuses_an_option_for_the_test_dataset(tmp_path):
    proc = run_tool(['tools/test.py', FINAL, CKPT, '--split', 'val', '--cfg-options',
                     'test_dataloader.dataset.ann_file=splits/other.txt'])
    assert proc.returncode != 0
    assert ("--split val: test_dataloader.dataset.ann_file sets the test split's dataset, "
            'which the val split replaces') in proc.stderr


@pytest.mark.parametrize('args, message', [
    (['--tta-flips', 'vertical'], '--tta-sizes/--tta-flips need --tta'),
    (['--tta', '--backend', 'onnxruntime'], '--tta runs on the PyTorch backend only'),
])
def test_cli_refuses_bad_combinations(args, message, tmp_path):
    ckpt = CKPT
    if '--backend' in args:
        ckpt = str(tmp_path / 'model.onnx')
        open(ckpt, 'wb').close()
    proc = run_tool(['tools/test.py', FINAL, ckpt] + args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr[-2000:]


def test_a_checkpoint_that_does_not_fit_is_still_refused_under_tta(synth_det, tmp_path):
    """The checkpoint fit check looks through mmdet's TTA wrapper (as mmengine's loader
    does): a checkpoint of another detector is refused, not loaded in part. The synthetic
    tree stands in for data/NEU-DET, which a fresh clone does not have."""
    ssd = osp.join(REPO, 'checkpoints',
                   'ssd_sdn-1.0x_fusion_40e_neu-det_20261125_180427-aed12e3b.pth')
    proc = run_tool(['tools/test.py', FINAL, ssd, '--tta', '--data-root', synth_det,
                     '--work-dir', str(tmp_path), '--cfg-options'] + no_worker_options())
    assert proc.returncode != 0
    assert 'does not fit this config' in proc.stderr, proc.stderr[-2000:]
    assert 'module.backbone' not in proc.stderr  # named as the detector's own tensor


def test_sizes_beside_a_configs_own_tta_pipeline_are_refused():
    from mmengine.config import Config

    from mmdet_shuffledefect.utils.tta import set_tta
    own = [dict(type='LoadImageFromFile'), dict(type='TestTimeAug', transforms=[])]
    cfg = Config(dict(model=dict(type='M', test_cfg=dict(nms=dict(type='nms'))),
                      tta_pipeline=own,
                      test_dataloader=dict(dataset=dict(pipeline=[]))))
    with pytest.raises(ValueError, match='defines its own tta_pipeline; TTA sizes/flips'):
        set_tta(cfg, sizes=[224])
    assert set_tta(cfg).startswith("TTA: the config's tta_pipeline")
    assert cfg.test_dataloader.dataset.pipeline == own
