"""The published RTMDet recipe's config is the training that produced its checkpoint."""
import copy
import os.path as osp

import pytest
from mmengine.config import Config

import mmdet_shuffledefect  # noqa: F401
from conftest import REPO
from mmdet_shuffledefect.utils.config_data import epoch_overrides

FINAL = 'configs/rtmdet/rtmdet_sdn-1.0x_fusion_120e-ema_neu-det.py'
SCREEN = 'projects/shuffledefectnet_study/configs/rtmdet_screen/sdn_rtmdet_no-mosaic_neu.py'


@pytest.mark.parametrize('final_name,screen_name', [
    (FINAL, SCREEN),
    # the line detector (#25's speed goal): the 2-4-2 backbone under the 0k3 head
    ('configs/rtmdet/rtmdet_sdn-2-4-2_fusion_head-0k3_120e-ema_neu-det.py',
     'projects/shuffledefectnet_study/configs/rtmdet_screen/'
     'sdn-2-4-2_rtmdet_no-mosaic_head-0k3_neu.py'),
    # the line detector since #48: the same, with the mild jitter its 60-epoch screen kept
    ('configs/rtmdet/rtmdet_sdn-2-4-2_fusion_head-0k3_jitter-0.75-1.33_120e-ema_neu-det.py',
     'projects/shuffledefectnet_study/configs/line_screen/'
     'sdn-2-4-2_rtmdet_head-0k3_jitter-0.75-1.33_60e_neu-det.py'),
])
def test_final_config_is_the_screen_config_at_120_epochs(final_name, screen_name):
    final = Config.fromfile(osp.join(REPO, final_name))
    screen = Config.fromfile(osp.join(REPO, screen_name))
    screen.merge_from_dict(epoch_overrides(screen, 120))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                'param_scheduler', 'optim_wrapper', 'custom_hooks', 'randomness'):
        assert final[key] == screen[key], key
    # the model too, but for the NMS IoU chosen on val after training (inference only)
    assert final.model.test_cfg.nms.iou_threshold == 0.5
    assert screen.model.test_cfg.nms.iou_threshold == 0.6
    screen.model.test_cfg.nms.iou_threshold = 0.5
    assert final.model == screen.model
    assert final.train_cfg == screen.train_cfg and final.train_cfg.max_epochs == 120
    # every epoch's checkpoint kept (the run resumes); --epochs 120 had scaled it to 2
    assert final.default_hooks.checkpoint.interval == 1
    steps = [s['type'] for s in final.train_dataloader.dataset.pipeline]
    assert 'CachedMosaic' not in steps and 'CachedMixUp' not in steps
    assert all(h['type'] != 'PipelineSwitchHook' for h in final.custom_hooks)


def test_the_light_head_screen_configs_change_the_head_only():
    """The speed screen's configs (#25): the no-Mosaic screen config with a lighter head (and,
    in one, the backbone at 0.5x), nothing else changed; each builds and predicts a batch."""
    import torch
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    screen = Config.fromfile(osp.join(REPO, SCREEN))
    heads = {'sdn_rtmdet_no-mosaic_head-1x64_neu.py': dict(stacked_convs=1, feat_channels=64),
             'sdn_rtmdet_no-mosaic_head-0k3_neu.py': dict(stacked_convs=0, pred_kernel_size=3),
             'sdn-0.5x_rtmdet_no-mosaic_head-0k3_neu.py': dict(stacked_convs=0,
                                                               pred_kernel_size=3)}
    for name, change in heads.items():
        cfg = Config.fromfile(osp.join(REPO, 'projects', 'shuffledefectnet_study', 'configs',
                                       'rtmdet_screen', name))
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
                    'param_scheduler', 'optim_wrapper', 'custom_hooks', 'randomness'):
            assert cfg[key] == screen[key], (name, key)
        want = copy.deepcopy(screen.model)
        want.bbox_head.update(change)
        if name.startswith('sdn-0.5x'):  # and the backbone at half width, its neck to fit
            want.backbone.widen_factor = 0.5
            want.neck.in_channels = [48, 96, 192]
        assert cfg.model == want, name
        model = MODELS.build(cfg.model).eval()
        convs = sum(isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3)
                    for m in model.bbox_head.modules())
        # per branch (class, box) and level: stacked convs shared, 3x3 predictions counted
        assert convs == 2 * change['stacked_convs'] * (1 if model.bbox_head.share_conv else 3) \
            + (6 if change.get('pred_kernel_size') == 3 else 0), (name, convs)
        with torch.no_grad():
            feats = model.extract_feat(torch.rand(2, 3, 192, 192))
            outs = model.bbox_head(feats)
        assert [tuple(c.shape) for c in outs[0]] == [(2, 6, 24, 24), (2, 6, 12, 12), (2, 6, 6, 6)]
