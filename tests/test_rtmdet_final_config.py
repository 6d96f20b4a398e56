"""The published RTMDet recipe's config is the training that produced its checkpoint."""
import os.path as osp

from mmengine.config import Config

import mmdet_shuffledefect  # noqa: F401
from conftest import REPO
from mmdet_shuffledefect.utils.config_data import epoch_overrides

FINAL = 'configs/detection/sdn_rtmdet_no-mosaic_120e_neu-det.py'
SCREEN = 'configs/detection/rtmdet_screen/sdn_rtmdet_no-mosaic_neu.py'


def test_final_config_is_the_screen_config_at_120_epochs():
    final = Config.fromfile(osp.join(REPO, FINAL))
    screen = Config.fromfile(osp.join(REPO, SCREEN))
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
