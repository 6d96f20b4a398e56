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
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

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


@dataclass(frozen=True)
class BenchmarkKind:
    """A kind of model other than a config that ``tools/analysis_tools/benchmark.py`` times,
    given there as ``KIND:NAME:FILE`` and registered by a module its ``--custom-imports``
    imports (the study wing's texture classifiers: ``sdn_study.classical.bench``).

    Args:
        names (Callable[[], Sequence[str]]): The NAMEs this kind knows.
        rows (Callable): ``rows(name, file, images, threads)`` -> ``[(row name, fn)]``, the
            calls to time on ``images`` (a list of HxWx3 uint8 pictures, one batch), the
            first the reference of the ratio column. Raises ``ValueError`` (with the
            message to print) when ``file`` does not hold a NAME model.
        versions (Callable[[], Dict[str, str]]): Package versions for the environment line.
        file_hint (str): What FILE is, for messages (e.g. ``MODEL.pkl``).
    """
    names: Callable[[], Sequence[str]]
    rows: Callable[[str, str, list, int], List[Tuple[str, Callable[[], object]]]]
    versions: Callable[[], Dict[str, str]] = dict
    file_hint: str = 'FILE'


#: ``KIND`` -> :class:`BenchmarkKind`, filled by :func:`register_benchmark_kind`.
BENCHMARK_KINDS: Dict[str, BenchmarkKind] = {}


def register_benchmark_kind(kind: str, spec: BenchmarkKind) -> None:
    """Let ``benchmark.py`` time ``KIND:NAME:FILE`` models with ``spec``.

    Raises:
        ValueError: ``kind`` is empty, holds ``:``, or is registered already with another
            spec.
    """
    if not kind or ':' in kind:
        raise ValueError(f'a benchmark kind is a non-empty word without ":", got {kind!r}')
    if BENCHMARK_KINDS.get(kind, spec) is not spec:
        raise ValueError(f'benchmark kind {kind!r} is registered already')
    BENCHMARK_KINDS[kind] = spec
