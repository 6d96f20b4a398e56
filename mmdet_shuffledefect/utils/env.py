"""What a results file records about the run: versions, git commit, hardware.

Built on mmengine's ``collect_env`` (Python, torch, CUDA, compiler, OpenCV)
with what it leaves out: the OpenMMLab packages in use, this package, the git
commit, the CPU model and the torch thread count.

Example:
    >>> env = environment_info()
    >>> sorted(env)[:3]
    ['cpu', 'cuda', 'git_commit']
"""
import platform
import subprocess
from typing import Dict

import torch

from mmdet_shuffledefect.models.dense_heads.batched_post_process import nms_backend
from mmdet_shuffledefect.version import __version__


def git_commit(short: bool = True) -> str:
    """The checked-out commit of the current directory's repository, or ``'unknown'``."""
    cmd = ['git', 'rev-parse'] + (['--short'] if short else []) + ['HEAD']
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        with open('/proc/cpuinfo') as f:
            return next(line.split(':', 1)[1].strip() for line in f
                        if line.startswith('model name'))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def environment_info() -> Dict[str, str]:
    """Versions, commit, threads and hardware, for results files."""
    import mmcv
    import mmdet
    import mmpretrain
    from mmengine.utils.dl_utils import collect_env

    base = collect_env()
    info = {
        'git_commit': git_commit(), 'python': platform.python_version(),
        'torch': torch.__version__, 'torchvision': base.get('TorchVision', 'unknown'),
        'opencv': base.get('OpenCV', 'unknown'), 'mmcv': mmcv.__version__,
        'mmengine': base.get('MMEngine', 'unknown'), 'mmdet': mmdet.__version__,
        'mmpretrain': mmpretrain.__version__,
        'mmdet_shuffledefect': __version__, 'cpu': cpu_model(),
        'torch_threads': str(torch.get_num_threads()),
        'cuda': torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none',
    }
    import numpy
    info['numpy'] = numpy.__version__
    info['batched_nms'] = nms_backend()
    return info


def print_report(lines, out=None) -> None:
    """Append the environment line (:func:`environment_info`) to a results table,
    print it, and write it to ``out`` when given."""
    lines = list(lines) + ['', 'environment: ' + ', '.join(
        f'{k} {v}' for k, v in environment_info().items())]
    print('\n'.join(lines))
    if out:
        write_report(out, lines)


def write_report(path: str, lines) -> None:
    """Write a results table (lines of text) to ``path``, creating its folder."""
    import os
    import os.path as osp
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
