"""Issue #25 item 6: the backbone comparison on the final recipe changes the backbone only."""
import os.path as osp

import pytest
from mmengine.config import Config

import mmdet_shuffledefect  # noqa: F401
from conftest import REPO

FINAL = 'configs/rtmdet/rtmdet_sdn-1.0x_fusion_120e-ema_neu-det.py'
SWAPS = {
    'projects/shuffledefectnet_study/configs/rtmdet_shufflenetv2-1.0x_no-mosaic_120e_neu-det.py':
        ('mmpretrain.ShuffleNetV2', [116, 232, 464]),
    'projects/shuffledefectnet_study/configs/rtmdet_mobilenetv2_no-mosaic_120e_neu-det.py':
        ('MobileNetV2', [32, 96, 320]),
    'projects/shuffledefectnet_study/configs/rtmdet_resnet34_no-mosaic_120e_neu-det.py':
        ('ResNet', [128, 256, 512]),
}


def _plain(cfg):
    return cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg


@pytest.mark.parametrize('path', sorted(SWAPS))
def test_swap_config_is_the_final_recipe_but_the_backbone(path):
    final = Config.fromfile(osp.join(REPO, FINAL))
    swap = Config.fromfile(osp.join(REPO, path))
    backbone, channels = SWAPS[path]
    assert swap.model.backbone.type == backbone and swap.model.backbone.init_cfg is None
    assert swap.model.neck.in_channels == channels
    # alarm thresholds belong to a checkpoint's scores (they ship inside it), so neither
    # config sets any that a swapped backbone could inherit
    assert 'inspection_score_thr' not in final and 'inspection_score_thr' not in swap
    for key in set(final.keys()) | set(swap.keys()):
        if key in ('model', 'model_wrapper_cfg', 'inspection_score_thr'):
            continue
        assert _plain(final.get(key)) == _plain(swap.get(key)), key
    model, final_model = _plain(swap.model), _plain(final.model)
    for part in ('backbone', 'neck'):
        model.pop(part), final_model.pop(part)
    assert model == final_model
    assert _plain(swap.model.neck) == dict(_plain(final.model.neck), in_channels=channels)


@pytest.mark.parametrize('path', sorted(SWAPS))
def test_swap_backbone_gives_the_neck_its_channels(path):
    import torch
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, path))
    backbone = MODELS.build(cfg.model.backbone)
    backbone.eval()  # mmdet's ResNet.train returns None, so eval() does too
    with torch.no_grad():
        feats = backbone(torch.rand(1, 3, 192, 192))
    assert [f.shape[1] for f in feats] == cfg.model.neck.in_channels
    assert [f.shape[-1] for f in feats] == [24, 12, 6]  # strides 8, 16, 32
