"""Latency / FPS measurement on CPU or CUDA (mmdet's benchmark is CUDA-only).

Example:
    >>> import torch
    >>> from mmdet_shuffledefect.models.backbones import ShuffleDefectNet
    >>> net = ShuffleDefectNet(widen_factor=0.5).eval()
    >>> ms = median_latency_ms(lambda: net(torch.rand(1, 3, 64, 64)), warmup=1, repeats=3)
    >>> ms > 0
    True
"""
import statistics
import time
from typing import Callable, Dict

import torch


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def median_latency_ms(fn: Callable[[], object], warmup: int = 5, repeats: int = 20,
                      device: str = 'cpu') -> float:
    """Median wall time of ``fn()`` in ms after ``warmup`` calls.

    CUDA work is synchronized before and after each timed call.
    """
    if warmup < 0 or repeats < 1:
        raise ValueError(f'need warmup >= 0 and repeats >= 1, got {warmup}, {repeats}')
    with torch.no_grad():
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(repeats):
            _sync(device)
            start = time.perf_counter()
            fn()
            _sync(device)
            times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def count_params(model: torch.nn.Module) -> int:
    """Number of parameters."""
    return sum(p.numel() for p in model.parameters())


def environment_info() -> Dict[str, str]:
    """Versions, threads and hardware, for results files."""
    import platform
    import subprocess

    import mmcv
    import mmdet
    import mmengine
    import mmpretrain

    import mmdet_shuffledefect
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = 'unknown'
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(l.split(':', 1)[1].strip() for l in f if l.startswith('model name'))
    except (OSError, StopIteration):
        pass
    return {
        'git_commit': commit, 'python': platform.python_version(), 'torch': torch.__version__,
        'mmcv': mmcv.__version__, 'mmengine': mmengine.__version__, 'mmdet': mmdet.__version__,
        'mmpretrain': mmpretrain.__version__, 'mmdet_shuffledefect': mmdet_shuffledefect.__version__,
        'cpu': cpu, 'torch_threads': str(torch.get_num_threads()),
        'cuda': torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none',
    }
