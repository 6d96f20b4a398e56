"""Shared fixtures. Tests write their own data into tmp_path; none reads ../shared."""
import os
import os.path as osp
import sys

import pytest

from tool_zygote import Zygote

# ``make test`` runs the suite on every core (pytest-xdist, ``-n auto``): each worker's torch
# takes its share of the cores instead of all of them (set before any test imports torch;
# the tools the tests start inherit it).
if os.environ.get('PYTEST_XDIST_WORKER') and 'OMP_NUM_THREADS' not in os.environ:
    _workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1'))
    os.environ['OMP_NUM_THREADS'] = str(max(1, (os.cpu_count() or 1) // _workers))

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/sdn_ssd_neu.py'
# The published 40-epoch checkpoint and the config it was trained with.
RECIPE_40E = 'configs/ssd/ssd_sdn-1.0x_fusion_40e_neu-det.py'
CKPT_40E = osp.join(REPO, 'checkpoints',
                    'ssd_sdn-1.0x_fusion_40e_neu-det_20261125_180427-aed12e3b.pth')
#: The NEU-CLS classifier config the cross-validation tests run.
#: The study wing's tools (projects/shuffledefectnet_study/tools), run from the repository root.
STUDY_TOOLS = 'projects/shuffledefectnet_study/tools'
CLS_CONFIG = osp.join(REPO, 'configs', 'classification', 'sdn-1.0x_linear_30e_neu-cls.py')


#: Test files that run longest, started first: under xdist a long file dealt out last would
#: leave the other workers idle while it runs (``--durations`` in the CI log; make test
#: passes ``--no-loadscope-reorder`` so that xdist deals the files out in this order).
LONGEST_FIRST = ('test_learning.py',)


@pytest.hookimpl(trylast=True)  # after pytest's own reordering by fixture scope
def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)  # stable: files stay whole


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skipped test fails unless it is marked ``gpu`` (no GPU here) or ``browser`` (no
    Chromium could be installed): a missing optional package must not pass silently."""
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and not any(item.get_closest_marker(m) for m in ('gpu', 'browser')):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = 'failed'
        rep.longrepr = ('skipped, but only @pytest.mark.gpu and @pytest.mark.browser tests '
                        f'may skip: {reason}')


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO


@pytest.fixture(scope='session')
def synth_det(tmp_path_factory):
    """A synthetic NEU-DET tree (60 images) with 70/10/20 split files."""
    from mmdet_shuffledefect.data_prep.splits import make_splits_for_dir, nested_subsets
    from mmdet_shuffledefect.datasets.neu_det import read_split_file
    from mmdet_shuffledefect.data_prep.synthetic import write_neu_det
    root = str(tmp_path_factory.mktemp('synth_det'))
    write_neu_det(root, num_images=60, seed=1)
    make_splits_for_dir(root, osp.join(root, 'splits'), seed=0)
    # the training-set-size configs read nested subsets of train.txt, as prepare_neu.py lays
    # out the committed ones
    train = read_split_file(osp.join(root, 'splits', 'train.txt'))
    for fraction, names in nested_subsets(train, [0.25, 0.5], seed=0).items():
        with open(osp.join(root, 'splits', f'train_{round(fraction * 100)}pct.txt'), 'w') as f:
            f.write(''.join(n + '\n' for n in names))
    return root


@pytest.fixture(scope='session')
def cls_root(tmp_path_factory):
    """Synthetic NEU-CLS (6 per class) with one byte-identical pair, as NEU-CLS's
    Pa_101/Pa_105: Pa_6 is a copy of Pa_2."""
    import shutil

    from mmdet_shuffledefect.data_prep.synthetic import write_neu_cls
    root = tmp_path_factory.mktemp('neu_cls')
    write_neu_cls(str(root / 'images'), per_class=6, seed=0)
    shutil.copy(root / 'images' / 'Pa_2.bmp', root / 'images' / 'Pa_6.bmp')
    return root


_ZYGOTE = Zygote()


def run_tool(args, cwd=REPO, env=None, timeout=900):
    """Run a repository tool with this interpreter; return the CompletedProcess.

    The tool runs in a child forked from a process that has already imported torch and
    the OpenMMLab stack (tests/tool_zygote.py) where that behaves as a fresh interpreter
    would; else, as with ``env`` set, in a fresh interpreter.
    """
    import subprocess
    full_env = dict(os.environ)
    full_env.update(env or {})
    args = [str(a) for a in args]
    if not env and _ZYGOTE.usable(args, full_env):
        return _ZYGOTE.run(args, cwd=str(cwd), env=full_env, timeout=timeout)
    return subprocess.run([sys.executable] + args, cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def pytest_sessionfinish(session, exitstatus):
    _ZYGOTE.close()


def no_worker_options(loaders=('val_dataloader', 'test_dataloader')):
    """``--cfg-options`` items that load ``loaders`` in the main process (no workers)."""
    opts = []
    for loader in loaders:
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return opts


def small_run_options(data_root, max_epochs):
    """``--data-root`` plus mmdet-style ``--cfg-options`` that shrink the SSD config
    to a few CPU iterations."""
    opts = [f'train_cfg.max_epochs={max_epochs}',
            'train_cfg.val_interval=100', 'train_dataloader.batch_size=8',
            'default_hooks.logger.interval=1', 'default_hooks.checkpoint.save_best=None']
    opts += no_worker_options(('train_dataloader', 'val_dataloader', 'test_dataloader'))
    return ['--data-root', str(data_root), '--cfg-options'] + opts


@pytest.fixture(scope='session')
def trained_ssd(synth_det, tmp_path_factory):
    """One epoch of real training through tools/train.py."""
    work = str(tmp_path_factory.mktemp('work'))
    proc = run_tool(['tools/train.py', CONFIG, '--work-dir', work]
                    + small_run_options(synth_det, 1))
    assert proc.returncode == 0, proc.stderr[-3000:]
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    return work, ckpt
