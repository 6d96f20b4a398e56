"""Detectors whose parts do not fit are refused by name (#26 item 4); every Python snippet of
README.md and docs/ runs."""
import os
import os.path as osp
import re

import cv2
import pytest
from conftest import CONFIG, REPO, run_tool
from mmengine.config import Config

from mmdet_shuffledefect.utils.model_check import (ModelConsistencyError, check_detector,
                                                   check_if_ours)

SWAP = 'configs/swap_backbone/retinanet_sdn-1.0x_fpn_1x_neu-det.py'


def build(cfg):
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    return MODELS.build(cfg.model)


def python_snippets(path=None):
    """Every Python block of ``path``, or of README.md and every docs/ page."""
    import glob
    paths = [path] if path else [osp.join(REPO, 'README.md')] + sorted(
        glob.glob(osp.join(REPO, 'docs', '*.md')))
    out = []
    for one in paths:
        with open(one) as f:
            out += re.findall(r'```python\n(.*?)```', f.read(), flags=re.S)
    return out


def test_fpn_without_start_level_0_is_refused_with_both_strides():
    cfg = Config.fromfile(osp.join(REPO, SWAP))
    check_detector(build(cfg), cfg)  # the committed swap config fits
    cfg.model.neck.start_level = 1  # mmdet's FPN default
    with pytest.raises(ModelConsistencyError) as err:
        check_detector(build(cfg), cfg)
    text = str(err.value)
    assert 'neck outputs 5 levels of [12, 6, 3, 2, 1] cells (strides about [16, 32, 64, 96, ' \
           '192])' in text
    assert 'lays its priors at strides [8, 16, 32, 64, 128] ([24, 12, 6, 3, 2] cells)' in text
    assert 'give the neck start_level=0' in text


def test_priors_that_fit_the_height_but_not_the_width_are_refused():
    """Strides given as (w, h) pairs: the heights fit, the widths are twice too coarse; a
    check of the heights alone (as it was) let this detector through."""
    cfg = Config.fromfile(osp.join(REPO, SWAP))
    cfg.model.bbox_head.anchor_generator.strides = [(2 * s, s) for s in (8, 16, 32, 64, 128)]
    with pytest.raises(ModelConsistencyError) as err:
        check_detector(build(cfg), cfg)
    text = str(err.value)
    assert "levels of ['24x24', '12x12', '6x6', '3x3', '2x2'] cells" in text
    assert "strides ['8x16', '16x32', '32x64', '64x128', '128x256'] " \
           "(['24x12', '12x6', '6x3', '3x2', '2x1'] cells)" in text


@pytest.mark.parametrize('size', [192, 256, 288, 320])
def test_input_scaled_ssd_fits_at_fractional_strides(size):
    """At 320 px the SSD's fifth level has 3 cells, stride 320 / 3 = 106.67: the check
    must not truncate it to 106 (4 cells) and refuse a model that fits (it did, and
    stopped `tools/train.py configs/sdn_ssd_neu.py --input-size 320`)."""
    from mmdet_shuffledefect.utils.input_size import set_input_size
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'sdn_ssd_neu.py'))
    set_input_size(cfg, size)
    check_detector(build(cfg), cfg)  # fits: no error
    cfg.model.bbox_head.anchor_generator.first_stride = 16  # every level's cells halved
    with pytest.raises(ModelConsistencyError, match='lays its priors at strides'):
        check_detector(build(cfg), cfg)


def test_neck_channels_and_classes_are_checked():
    cfg = Config.fromfile(osp.join(REPO, CONFIG))
    cfg.model.neck.in_channels = [24, 48, 96]  # ShuffleDefectNet 0.5x's
    with pytest.raises(ModelConsistencyError, match=r'neck SDNFusionNeck has in_channels '
                       r'\[24, 48, 96\] but the backbone ShuffleDefectNet outputs '
                       r'\[116, 232, 464\] channels'):
        check_detector(build(cfg), cfg)
    cfg = Config.fromfile(osp.join(REPO, CONFIG))
    cfg.model.bbox_head.num_classes = 7
    with pytest.raises(ModelConsistencyError, match=r"the head has num_classes=7 but the "
                       r"config's datasets have 6 classes"):
        check_detector(build(cfg), cfg)


def test_only_detectors_with_this_package_parts_are_checked():
    cfg = Config.fromfile(osp.join(REPO, 'projects/shuffledefectnet_study/configs/'
                                   'ssdlite_mobilenetv2_mmdet_60e-ema_neu-det.py'))
    model = build(cfg)
    model.bbox_head.num_classes = 3  # would be refused if checked; mmdet's own model is not
    check_if_ours(model, cfg)


def test_train_tool_refuses_a_model_that_does_not_fit(synth_det, tmp_path):
    proc = run_tool(['tools/train.py', SWAP, '--data-root', synth_det, '--work-dir',
                     str(tmp_path), '--cfg-options', 'model.neck.start_level=1'])
    assert proc.returncode == 1
    assert 'error: the neck outputs 5 levels' in proc.stderr
    assert 'Traceback' not in proc.stderr


def test_readme_config_snippets_build_and_fit(tmp_path):
    snippets = [s for s in python_snippets() if '_base_' in s]
    assert snippets, 'the README has no config snippet'
    os.symlink(osp.join(REPO, 'configs'), tmp_path / 'configs')  # as saved in the repo's root
    for i, text in enumerate(snippets):
        path = tmp_path / f'snippet{i}.py'
        path.write_text(text)
        cfg = Config.fromfile(str(path))
        check_detector(build(cfg), cfg, input_size=(192, 192))


def test_readme_api_snippets_run(tmp_path):
    """The README's Python API block, as written, from a folder that holds the
    repository's configs and checkpoints and a steel picture."""
    from mmdet_shuffledefect.data_prep.synthetic import write_neu_det
    write_neu_det(str(tmp_path / 'synth'), num_images=1, seed=3)
    image = next((tmp_path / 'synth' / 'IMAGES').iterdir())
    cv2.imwrite(str(tmp_path / 'steel.jpg'), cv2.imread(str(image)))
    for name in ('configs', 'checkpoints'):
        os.symlink(osp.join(REPO, name), tmp_path / name)
    snippets = [s for s in python_snippets() if '_base_' not in s]
    assert snippets
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for text in snippets:
            scope = {}
            exec(compile(text, 'README.md', 'exec'), scope)  # noqa: S102  (our own README)
            result = scope.get('result')
            if result is not None:
                assert len(result.pred_instances.bboxes) > 0
    finally:
        os.chdir(cwd)
    assert (tmp_path / 'report' / 'report.json').is_file()
    assert scope['summary']['images_read'] == 1
