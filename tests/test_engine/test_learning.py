"""configs/sdn_ssd_neu.py learns: trained on the synthetic sample with only the data
root and the schedule overridden, it reaches mAP@0.5 >= 0.5 on the held-out test
split, where the untrained model scores <= 0.05 (the issue's goal).

The sample is 1000 images (700 train, 102 val, 198 test): with 300 (210 train)
the detector over-fits (val mAP stalled near 0.4 from epoch 40 to 100 while the
training loss kept falling). Measured here (2-core CPU, seed 0): 20 epochs gave
test mAP@0.5 0.549 in 10.6 min; this test trains 24 for margin. Shorter does not learn
enough: 12 epochs gave 0.342 (and 0.343 with the EMA's momentum raised to 0.004; AMD EPYC,
2026-12-05), so the suite keeps this test whole and starts it first (conftest.LONGEST_FIRST).
"""
import os.path as osp
import re

import pytest

from conftest import CONFIG, REPO, run_tool

EPOCHS = 24
NUM_IMAGES = 1000


def _opts(data_root, epochs):
    opts = [f'train_cfg.val_interval={epochs}', 'default_hooks.checkpoint.save_best=None']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return ['--data-root', f'{data_root}/', '--cfg-options'] + opts


@pytest.mark.slow
def test_sdn_ssd_learns_synthetic_sample(tmp_path):
    import mmdet_shuffledefect  # noqa: F401
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmdet_shuffledefect.data_prep.splits import make_splits_for_dir
    from mmdet_shuffledefect.data_prep.synthetic import write_neu_det
    from mmdet_shuffledefect.utils.config_data import set_data_root
    data = str(tmp_path / 'data')
    write_neu_det(data, num_images=NUM_IMAGES, seed=0)
    make_splits_for_dir(data, osp.join(data, 'splits'), seed=0)

    cfg = Config.fromfile(osp.join(REPO, CONFIG))
    set_data_root(cfg, data + '/')
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    cfg.work_dir = str(tmp_path / 'untrained')
    untrained = Runner.from_cfg(cfg).test()['pascal_voc/mAP']
    assert untrained <= 0.05

    work = str(tmp_path / 'work')
    proc = run_tool(['tools/train.py', CONFIG, '--work-dir', work, '--epochs', str(EPOCHS)]
                    + _opts(data, EPOCHS),
                    timeout=3000)
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = run_tool(['tools/test.py', CONFIG, osp.join(work, f'epoch_{EPOCHS}.pth'),
                     '--work-dir', work] + _opts(data, EPOCHS))
    assert proc.returncode == 0, proc.stderr[-3000:]
    trained = float(re.findall(r'pascal_voc/mAP: ([\d.]+)', proc.stdout + proc.stderr)[-1])
    assert trained >= 0.5, f'test mAP@0.5 after {EPOCHS} epochs: {trained}'
