"""Shared fixtures. Tests write their own data into tmp_path; none reads ../shared."""
import os
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skipped test fails unless it is marked ``gpu``: a missing optional
    package must not pass silently."""
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and item.get_closest_marker('gpu') is None:
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = 'failed'
        rep.longrepr = f'skipped, but only @pytest.mark.gpu tests may skip: {reason}'


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO


@pytest.fixture(scope='session')
def synth_det(tmp_path_factory):
    """A synthetic NEU-DET tree (60 images) with 70/10/20 split files."""
    from mmdet_shuffledefect.datasets.splits import make_splits_for_dir
    from mmdet_shuffledefect.datasets.synthetic import write_neu_det
    root = str(tmp_path_factory.mktemp('synth_det'))
    write_neu_det(root, num_images=60, seed=1)
    make_splits_for_dir(root, osp.join(root, 'splits'), seed=0)
    return root


def run_tool(args, cwd=REPO, env=None, timeout=900):
    """Run a repository tool with this interpreter; return the CompletedProcess."""
    import subprocess
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable] + list(args), cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
