"""--input-size: every size a config derives from its input follows one number (#25 item 2)."""
import os.path as osp
import re

import pytest
from mmengine.config import Config

import mmdet_shuffledefect  # noqa: F401
from conftest import REPO, run_tool, small_run_options
from mmdet_shuffledefect.utils.input_size import config_input_size, set_input_size


def _steps(pipeline, kind):
    return [s for s in pipeline if s['type'] == kind]


@pytest.mark.parametrize('scale, want', [(192, (192, 192)), ((320, 256), (320, 256)),
                                         ([224, 224], (224, 224))])
def test_resize_scale_is_read_as_width_height(scale, want):
    from mmdet_shuffledefect.utils.input_size import resize_wh
    assert resize_wh(dict(type='Resize', scale=scale)) == want
    cfg = Config(dict(test_dataloader=dict(dataset=dict(pipeline=[
        dict(type='Resize', scale=scale)]))))
    assert config_input_size(cfg) == want[::-1]  # (height, width)


def test_non_square_config_is_refused_by_input_size():
    cfg = Config(dict(input_size=192, test_dataloader=dict(dataset=dict(pipeline=[
        dict(type='Resize', scale=(256, 192), keep_ratio=False)]))))
    with pytest.raises(ValueError, match=r'the config resizes to 256x192; --input-size needs '
                       r'a square size'):
        set_input_size(cfg, 320)


@pytest.mark.parametrize('scale', [None, (192, ), 'big'])
def test_bad_resize_scale_is_named(scale):
    from mmdet_shuffledefect.utils.input_size import resize_wh
    with pytest.raises(ValueError, match=re.escape(f'the Resize step has scale={scale!r}; '
                                                   'expected an int or a')):
        resize_wh(dict(type='Resize', scale=scale))


def test_rtmdet_config_follows_the_input_size():
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'rtmdet_sdn-1.0x_fusion_neu-det.py'))
    changes = set_input_size(cfg, 320)
    assert config_input_size(cfg) == (320, 320) and cfg.input_size == 320
    train = cfg.train_dataloader.dataset.pipeline
    assert _steps(train, 'CachedMosaic')[0]['img_scale'] == (320, 320)
    assert _steps(train, 'RandomResize')[0]['scale'] == (640, 640)  # 2x the input, as before
    assert _steps(train, 'RandomCrop')[0]['crop_size'] == (320, 320)
    assert _steps(train, 'CachedMixUp')[0]['img_scale'] == (320, 320)
    # the plain pipeline PipelineSwitchHook switches to for the last epochs
    switch = [h for h in cfg.custom_hooks if h['type'] == 'PipelineSwitchHook'][0]
    assert _steps(switch['switch_pipeline'], 'Pad')[0]['size'] == (320, 320)
    # val and test each resized once to 320, not scaled twice
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        assert _steps(loader.dataset.pipeline, 'Resize')[0]['scale'] == (320, 320)
    assert any('PipelineSwitchHook RandomCrop.crop_size (192, 192) -> (320, 320)' in c
               for c in changes)


def test_ssd_config_moves_its_anchors_too():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'sdn_ssd_neu.py'))
    changes = set_input_size(cfg, 256)
    assert cfg.model.bbox_head.anchor_generator.input_size == 256
    assert 'model InputScaledSSDAnchorGenerator.input_size 192 -> 256' in changes
    assert config_input_size(cfg) == (256, 256)


@pytest.mark.parametrize('parent, written, options', [
    ('configs/sdn_ssd_neu.py', 'configs/ssd/ssd_sdn-1.0x_fusion_60e-ema_320px_neu-det.py',
     {}),
    ('configs/sdn_retinanet_neu.py',
     'projects/shuffledefectnet_study/configs/retinanet_sdn-1.0x_fusion_60e-ema_320px_neu-det.py',
     {'model.test_cfg.nms.iou_threshold': 0.4}),
])
def test_320px_configs_are_the_input_size_lever_written_out(parent, written, options):
    """The 320-px configs restate their pipelines: they must stay what ``--input-size 320``
    (and the NMS IoU their comment names) makes of their parent."""
    lever = Config.fromfile(osp.join(REPO, parent))
    set_input_size(lever, 320)
    lever.merge_from_dict(options)
    config = Config.fromfile(osp.join(REPO, written))
    for key in ('input_size', 'model', 'train_dataloader', 'val_dataloader', 'test_dataloader',
                'custom_hooks', 'optim_wrapper', 'param_scheduler', 'train_cfg'):
        assert config.get(key) == lever.get(key), key


def test_anchors_in_pixels_and_bad_sizes_are_refused():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'sdn_ssd_neu.py'))
    with pytest.raises(ValueError, match='must be >= 32 px, got 16'):
        set_input_size(cfg, 16)
    proc = run_tool(['tools/train.py', 'projects/shuffledefectnet_study/configs/'
                     'ssdlite_mobilenetv2_mmdet_60e-ema_neu-det.py', '--input-size', '320'])
    assert proc.returncode == 2
    assert ('--input-size 320: the SSD anchors are written out in pixels for one input size'
            in proc.stderr)


def test_train_tool_trains_at_the_size_given(synth_det, tmp_path):
    proc = run_tool(['tools/train.py', 'configs/_base_/rtmdet_sdn-1.0x_fusion_neu-det.py',
                     '--input-size', '224',
                     '--work-dir', str(tmp_path)] + small_run_options(synth_det, 1))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '--input-size 224: ' in proc.stdout and 'Resize.scale (192, 192) -> (224, 224)' in \
        proc.stdout
    dumped = Config.fromfile(str(tmp_path / 'rtmdet_sdn-1.0x_fusion_neu-det.py'))
    assert config_input_size(dumped) == (224, 224)
