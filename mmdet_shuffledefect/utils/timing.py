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
from typing import Callable, List, Sequence

import torch


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def latency_samples_ms(fn: Callable[[], object], warmup: int = 5, repeats: int = 20,
                       device: str = 'cpu') -> List[float]:
    """Wall time of each of ``repeats`` calls of ``fn()`` in ms, after ``warmup`` calls.

    Runs under ``torch.no_grad``; CUDA work is synchronized before and after
    each timed call.
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
    return times


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, linear interpolation.

    Example:
        >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
        2.5
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError('percentile of no values')
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median_latency_ms(fn: Callable[[], object], warmup: int = 5, repeats: int = 20,
                      device: str = 'cpu') -> float:
    """Median wall time of ``fn()`` in ms after ``warmup`` calls (see :func:`latency_samples_ms`)."""
    return statistics.median(latency_samples_ms(fn, warmup, repeats, device))


def count_params(model: torch.nn.Module) -> int:
    """Number of parameters."""
    return sum(p.numel() for p in model.parameters())
