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
                 + glob.glob(osp.join(REPO, 'projects', '*', 'configs', '**', '*.py'),
                             recursive=True)
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


DATA_SIZE = {0.25: 'projects/shuffledefectnet_study/configs/sdn_ssd_neu_train-25pct_240e.py',
             0.5: 'projects/shuffledefectnet_study/configs/sdn_ssd_neu_train-50pct_120e.py'}


@pytest.mark.parametrize('fraction', sorted(DATA_SIZE))
def test_data_size_configs_make_the_steps_and_validations_of_the_full_run(fraction):
    """The training-set-size study: same optimizer steps, learning-rate curve and number of
    validations as configs/sdn_ssd_neu.py, on a nested subset of the committed train split."""
    from mmengine.config import Config

    from mmdet_shuffledefect.datasets.neu_det import read_split_file
    full = Config.fromfile(osp.join(REPO, 'configs', 'sdn_ssd_neu.py'))
    cfg = Config.fromfile(osp.join(REPO, DATA_SIZE[fraction]))
    lists = osp.join(REPO, 'mmdet_shuffledefect', 'split_lists', 'neu-det')

    def steps(c):
        split = osp.basename(c.train_dataloader.dataset.ann_file)
        images = read_split_file(osp.join(lists, split))
        return images, len(images) // c.train_dataloader.batch_size * c.train_cfg.max_epochs

    full_images, full_steps = steps(full)
    images, n_steps = steps(cfg)
    assert set(images) < set(full_images)
    assert abs(len(images) / len(full_images) - fraction) < 0.01
    assert abs(n_steps / full_steps - 1) < 0.02, (n_steps, full_steps)
    cosine = cfg.param_scheduler[-1]
    assert cosine.type == 'CosineAnnealingLR'
    assert cosine.T_max == cosine.end == cfg.train_cfg.max_epochs
    assert (cfg.train_cfg.max_epochs // cfg.train_cfg.val_interval
            == full.train_cfg.max_epochs // full.train_cfg.val_interval)
    assert cfg.custom_hooks == full.custom_hooks  # the EMA of the recipe


def test_nested_subsets_committed():
    from mmdet_shuffledefect.datasets.neu_det import read_split_file
    lists = osp.join(REPO, 'mmdet_shuffledefect', 'split_lists', 'neu-det')
    quarter, half = (set(read_split_file(osp.join(lists, f'train_{p}pct.txt'))) for p in (25, 50))
    assert quarter < half


def test_class_names_are_written_once():
    """The NEU class tuple lives in datasets/neu_classes.py only; configs import it."""
    from mmengine.config import Config

    from mmdet_shuffledefect.datasets import NEU_CLASSES
    holders = [p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
               + glob.glob(osp.join(REPO, 'projects', '**', '*.py'), recursive=True)
               + glob.glob(osp.join(REPO, 'mmdet_shuffledefect', '**', '*.py'), recursive=True)
               + glob.glob(osp.join(REPO, 'tools', '**', '*.py'), recursive=True)
               if "'crazing', 'inclusion'" in open(p).read()]
    assert [osp.relpath(p, REPO) for p in holders] == [
        osp.join('mmdet_shuffledefect', 'datasets', 'neu_classes.py')]
    for config in ('sdn_ssd_neu.py', '_base_/rtmdet_sdn-1.0x_fusion_neu-det.py',
                   'swap_backbone/retinanet_sdn-1.0x_fpn_1x_neu-det.py',
                   'classification/sdn-1.0x_linear_30e_neu-cls.py'):
        cfg = Config.fromfile(osp.join(REPO, 'configs', config))
        assert tuple(cfg.test_dataloader.dataset.metainfo.classes) == NEU_CLASSES, config
