"""Every config in configs/ builds through the Runner, trains one iteration with a
finite positive loss and runs one inference, on synthetic data (new configs are
picked up automatically)."""
import glob
import math
import os.path as osp

import pytest
import torch

from conftest import REPO

CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)


@pytest.fixture(scope='session')
def synth_cls(tmp_path_factory):
    """A synthetic NEU-CLS flat folder under images/ with split files."""
    from mmdet_shuffledefect.data_prep.splits import split_names, write_split_files
    from mmdet_shuffledefect.data_prep.synthetic import write_neu_cls
    root = tmp_path_factory.mktemp('synth_cls')
    write_neu_cls(str(root / 'images'), per_class=5, seed=0)
    names = sorted(p.stem for p in (root / 'images').iterdir())
    write_split_files(split_names(names, ratios=(0.6, 0.2, 0.2), seed=0), str(root / 'splits'))
    return str(root)


def small_cfg(path, data_root, work_dir):
    from mmengine.config import Config

    from mmdet_shuffledefect.utils.config_data import set_data_root
    cfg = Config.fromfile(path)
    set_data_root(cfg, data_root + '/')
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].batch_size = 2
        cfg[key].num_workers = 0
        cfg[key].persistent_workers = False
    cfg.work_dir = work_dir
    return cfg


def test_there_are_configs():
    names = {osp.relpath(p, REPO) for p in CONFIGS}
    assert {'configs/sdn_ssd_neu.py', 'configs/sdn_retinanet_neu.py'} <= names
    assert any(n.startswith('configs/swap_backbone/') for n in names)
    assert any(n.startswith('configs/classification/') for n in names)


@pytest.mark.parametrize('path', CONFIGS, ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_config_trains_one_iteration_and_infers(path, synth_det, synth_cls, tmp_path):
    import mmdet_shuffledefect  # noqa: F401
    from mmengine.runner import Runner
    from mmengine.config import Config
    scope = Config.fromfile(path).get('default_scope', 'mmdet')
    cfg = small_cfg(path, synth_cls if scope == 'mmpretrain' else synth_det, str(tmp_path))
    runner = Runner.from_cfg(cfg)
    model = runner.model
    optim = runner.build_optim_wrapper(cfg.optim_wrapper)
    batch = next(iter(runner.build_dataloader(cfg.train_dataloader)))
    model.train()
    log_vars = model.train_step(batch, optim)
    loss = float(log_vars['loss'])
    assert math.isfinite(loss) and loss > 0, log_vars
    model.eval()
    val_batch = next(iter(runner.build_dataloader(cfg.val_dataloader)))
    with torch.no_grad():
        outs = model.val_step(val_batch)
    assert len(outs) == len(val_batch['inputs'])
    if scope == 'mmpretrain':
        assert outs[0].pred_score.shape == (6, )
    else:
        assert outs[0].pred_instances.bboxes.shape[-1] == 4
