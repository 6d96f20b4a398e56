"""The published checkpoint still fits its config after the config was split into
configs/_base_/ pieces: same parameter names and shapes (strict load), and it detects."""
import os.path as osp

import torch

from conftest import CKPT_40E, RECIPE_40E, REPO

CKPT = CKPT_40E
TRAINED_WITH = osp.join(REPO, RECIPE_40E)


def test_published_checkpoint_loads_strictly_into_its_config():
    import mmdet_shuffledefect  # noqa: F401
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint
    register_all_modules()
    cfg = Config.fromfile(TRAINED_WITH)
    model = MODELS.build(cfg.model).eval()
    ckpt = load_checkpoint(model, CKPT, map_location='cpu', strict=True)
    assert ckpt['meta']['dataset_meta']['classes'] == cfg.classes
    assert set(ckpt['state_dict']) == set(model.state_dict())
    with torch.no_grad():
        cls_scores, bbox_preds = model._forward(torch.zeros(1, 3, 192, 192))
    priors = model.bbox_head.num_base_priors[0]
    assert len(cls_scores) == 6 and cls_scores[0].shape[1] == (len(cfg.classes) + 1) * priors
