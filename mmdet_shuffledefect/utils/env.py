"""What a results file records about the run: versions, git commit, hardware.

Built on mmengine's ``collect_env`` (Python, torch, CUDA, compiler, OpenCV)
with what it leaves out: the OpenMMLab packages in use, this package, the git
commit, the CPU model with its vector units and the torch thread count.

Example:
    >>> env = environment_info()
    >>> {'cpu', 'git_commit', 'torch_threads'} <= set(env)
    True
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


#: /proc/cpuinfo flag -> the name a speed figure gives it (the vector units that decide
#: how fast a CPU runs these networks; models of one name differ in them)
CPU_FEATURES = (('avx2', 'AVX2'), ('avx512f', 'AVX-512'), ('avx512_vnni', 'VNNI'),
                ('avx512_bf16', 'BF16'), ('amx_tile', 'AMX'))


def cpu_features(flags: str) -> str:
    """The vector units of :data:`CPU_FEATURES` among ``flags`` (a ``/proc/cpuinfo`` flags
    line), e.g. ``'AVX2, AVX-512, VNNI, BF16'``; ``''`` where none.

    Example:
        >>> cpu_features('fpu sse avx2 avx512f avx512_vnni')
        'AVX2, AVX-512, VNNI'
    """
    have = set(flags.split())
    return ', '.join(name for flag, name in CPU_FEATURES if flag in have)


def cpu_model() -> str:
    """The CPU's model name and its vector units (``/proc/cpuinfo``), e.g. ``'AMD EPYC
    (AVX2, AVX-512, VNNI, BF16)'``, else what ``platform`` knows."""
    try:
        with open('/proc/cpuinfo') as f:
            lines = f.read().splitlines()
        name = next(line.split(':', 1)[1].strip() for line in lines
                    if line.startswith('model name'))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()
    flags = next((line.split(':', 1)[1] for line in lines if line.startswith('flags')), '')
    features = cpu_features(flags)
    return f'{name} ({features})' if features else name


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
