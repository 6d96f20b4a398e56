"""``tools/train.py --epochs N`` scales the whole schedule, not only max_epochs (#30 item 3)."""
import glob
import os.path as osp

from conftest import CONFIG, REPO, run_tool
from mmengine.config import Config

from mmdet_shuffledefect.utils.config_data import epoch_overrides


def test_two_epoch_run_has_a_two_epoch_schedule(synth_det, tmp_path):
    work = tmp_path / 'two'
    opts = ['default_hooks.logger.interval=1']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    proc = run_tool(['tools/train.py', CONFIG, '--epochs', '2', '--data-root', synth_det,
                     '--work-dir', str(work), '--cfg-options'] + opts)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert ('--epochs 2: train_cfg.max_epochs=2, param_scheduler.1.end=2, '
            'param_scheduler.1.T_max=2, train_cfg.val_interval=1') in proc.stdout
    dumped = Config.fromfile(str(work / osp.basename(CONFIG)))
    assert dumped.train_cfg.max_epochs == 2 and dumped.train_cfg.val_interval == 1
    cosine = dumped.param_scheduler[1]
    assert (cosine.type, cosine.T_max, cosine.end) == ('CosineAnnealingLR', 2, 2)
    assert dumped.param_scheduler[0].end == 30  # the warm-up is counted in iterations
    assert sorted(osp.basename(p) for p in glob.glob(str(work / 'epoch_*.pth')))[-1] == \
        'epoch_2.pth'
    log = open(glob.glob(str(work / '*' / '*.log'))[0]).read()
    assert 'Epoch(val) [1]' in log and 'Epoch(val) [2]' in log


def test_pipeline_switch_and_intervals_follow_the_epochs():
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'rtmdet_sdn-1.0x_fusion_neu-det.py'))
    opts = epoch_overrides(cfg, 12)
    assert opts['custom_hooks.1.switch_epoch'] == 10  # 50 of 60 -> 10 of 12
    assert opts['train_cfg.val_interval'] == 1 and opts['param_scheduler.1.T_max'] == 12
    assert epoch_overrides(cfg, 1)['custom_hooks.1.switch_epoch'] == 1


def test_an_explicit_option_wins_over_the_derived_one():
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'rtmdet_sdn-1.0x_fusion_neu-det.py'))
    cfg.merge_from_dict({'train_cfg.val_interval': 7})
    opts = epoch_overrides(cfg, 12, given={'train_cfg.val_interval': 7})
    assert 'train_cfg.val_interval' not in opts
    assert opts['train_cfg.max_epochs'] == 12 and opts['custom_hooks.1.switch_epoch'] == 10


def test_bad_epochs_is_refused(tmp_path):
    proc = run_tool(['tools/train.py', CONFIG, '--epochs', '0', '--work-dir', str(tmp_path)])
    assert proc.returncode == 2 and 'error: --epochs 0: epochs must be >= 1, got 0' in \
        proc.stderr
