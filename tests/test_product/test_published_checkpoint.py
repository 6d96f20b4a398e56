"""The published detection checkpoints fit their configs (also after configs are split
into configs/_base_/ pieces): same parameter names and shapes (strict load), and they detect."""
import os.path as osp

import pytest
import torch

from conftest import CKPT_40E, RECIPE_40E, REPO

PUBLISHED = [
    (CKPT_40E, osp.join(REPO, RECIPE_40E)),
    # the final recipe, trained with an EMA: its state_dict holds the averaged weights
    (osp.join(REPO, 'checkpoints', 'sdn_ssd_neu_20261126_120205-48f4e0af.pth'),
     osp.join(REPO, 'configs', 'sdn_ssd_neu.py')),
    # the same recipe at 320 px (anchors scaled with the input)
    (osp.join(REPO, 'checkpoints',
              'ssd_sdn-1.0x_fusion_60e-ema_320px_neu-det_20261203_005851-64822c29.pth'),
     osp.join(REPO, 'configs', 'ssd', 'ssd_sdn-1.0x_fusion_60e-ema_320px_neu-det.py')),
]


@pytest.mark.parametrize('ckpt_file,trained_with', PUBLISHED,
                         ids=[osp.basename(c) for c, _ in PUBLISHED])
def test_published_checkpoint_loads_strictly_into_its_config(ckpt_file, trained_with):
    import mmdet_shuffledefect  # noqa: F401
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint
    register_all_modules()
    cfg = Config.fromfile(trained_with)
    model = MODELS.build(cfg.model).eval()
    ckpt = load_checkpoint(model, ckpt_file, map_location='cpu', strict=True)
    assert 'ema_state_dict' not in ckpt and 'optimizer' not in ckpt
    assert ckpt['meta']['dataset_meta']['classes'] == cfg.classes
    assert set(ckpt['state_dict']) == set(model.state_dict())
    with torch.no_grad():
        side = cfg.input_size
        cls_scores, bbox_preds = model._forward(torch.zeros(1, 3, side, side))
    priors = model.bbox_head.num_base_priors[0]
    assert len(cls_scores) == 6 and cls_scores[0].shape[1] == (len(cfg.classes) + 1) * priors
    assert cls_scores[0].shape[-1] == -(-side // 8)  # the first level: stride 8
