"""SSD anchors follow the input size (issue #25 item 2) and are unchanged at 192 px."""
import os.path as osp

import pytest
import torch

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.models.task_modules import (InputScaledSSDAnchorGenerator,
                                                     ssd_level_strides)

RATIOS = [[2, 3, 5, 8]] * 6
MIN_SIZES = [16, 38, 70, 102, 134, 166]
MAX_SIZES = [38, 70, 102, 134, 166, 198]


def test_at_192_px_the_anchors_are_the_written_out_ones():
    from mmdet.models.task_modules.prior_generators import SSDAnchorGenerator
    written = SSDAnchorGenerator(strides=[8, 16, 32, 64, 96, 192], ratios=RATIOS,
                                 min_sizes=MIN_SIZES, max_sizes=MAX_SIZES, input_size=192,
                                 scale_major=False)
    scaled = InputScaledSSDAnchorGenerator(input_size=192, ratios=RATIOS, min_sizes=MIN_SIZES,
                                           max_sizes=MAX_SIZES)
    sizes = [(24, 24), (12, 12), (6, 6), (3, 3), (2, 2), (1, 1)]
    for a, b in zip(written.grid_priors(sizes, device='cpu'),
                    scaled.grid_priors(sizes, device='cpu')):
        assert torch.equal(a, b)


@pytest.mark.parametrize('size', [256, 320])
def test_strides_match_the_detectors_feature_maps_at_other_sizes(size):
    """The SSD config at another input size: every level's stride x its feature-map side
    is the input size, the anchors tile the whole picture and are scaled by size / 192."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config

    from conftest import REPO
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'sdn_ssd_neu.py'))
    cfg.model.bbox_head.anchor_generator.input_size = size
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        feats = model.extract_feat(torch.rand(1, 3, size, size))
    sides = [f.shape[-1] for f in feats]
    gen = model.bbox_head.prior_generator
    assert [s[0] * side for s, side in zip(gen.strides, sides)] == pytest.approx([size] * 6)
    priors = gen.grid_priors([(s, s) for s in sides], device='cpu')
    # the centres of the last cell of every level lie inside the picture, half a cell in
    last_centre = [(p[-1, 0] + p[-1, 2]) / 2 for p in priors]
    assert last_centre == pytest.approx([size - s[0] / 2 for s in gen.strides], abs=1e-3)
    # the smallest anchor of the first level (ratio 1, min size) is 16 px x size / 192
    first = priors[0][0]
    assert float(first[2] - first[0]) == pytest.approx(16 * size / 192, abs=1e-3)


def test_level_strides_round_the_sides_up():
    assert ssd_level_strides(200, 6) == pytest.approx([8, 200 / 13, 200 / 7, 50, 100, 200])


def test_mismatched_levels_are_refused():
    with pytest.raises(ValueError, match='one entry per level needed: 6 ratios, 5 min_sizes'):
        InputScaledSSDAnchorGenerator(input_size=192, ratios=RATIOS, min_sizes=MIN_SIZES[:5],
                                      max_sizes=MAX_SIZES)
    with pytest.raises(ValueError, match='input_size, num_levels and first_stride must be >= 1'):
        ssd_level_strides(0, 6)
