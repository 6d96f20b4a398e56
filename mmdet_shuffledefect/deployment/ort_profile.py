"""Where an onnxruntime session's time goes: its profile, summed by operator type and
by part of the detector.

onnxruntime's profiler (``SessionOptions.enable_profiling``) writes one JSON event
per node run (``<node>_kernel_time``, microseconds, with its ``op_name``). This
module sums those events by operator type and by the part of the exported detector
the node belongs to, told by the node name's scope (``/backbone/...``, ``/neck/...``,
``/bbox_head/...``; top-level nodes are the normalisation in front and the
post-processing behind); the layout conversions onnxruntime inserts around its
blocked-layout convolutions (``ReorderInput``/``ReorderOutput``) are a part of their own.

Example:
    >>> events = [{'cat': 'Node', 'name': '/backbone/conv1/Conv_kernel_time',
    ...            'dur': 300, 'args': {'op_name': 'Conv'}},
    ...           {'cat': 'Node', 'name': '/TopK_kernel_time', 'dur': 100,
    ...            'args': {'op_name': 'TopK'}}]
    >>> [(r['name'], r['share']) for r in time_by(events, 'op')]
    [('Conv', 0.75), ('TopK', 0.25)]
    >>> [r['name'] for r in time_by(events, 'part')]
    ['backbone', 'pre/post-processing']
"""
import json
from collections import defaultdict
from typing import Dict, Iterable, List

#: node-name scope -> part of the exported detector (first match wins); the exporter
#: names a node by its module path below the exported wrapper (``/backbone/...``)
PARTS = (('/backbone/', 'backbone'), ('/neck/', 'neck'), ('/bbox_head/', 'head convolutions'))


def _unwrapped(node_name: str) -> str:
    """The node name below the exported wrapper's ``/detector`` scope, where it has one."""
    return node_name[len('/detector'):] if node_name.startswith('/detector/') else node_name


def part_of(node_name: str) -> str:
    """The part of the detector a node belongs to, from its scope.

    Example:
        >>> part_of('/neck/lateral.0/Conv'), part_of('/Softmax'), part_of('ReorderOutput_token_9')
        ('neck', 'pre/post-processing', 'layout reorders (inserted by onnxruntime)')
    """
    if node_name.startswith(('ReorderInput', 'ReorderOutput')):
        return 'layout reorders (inserted by onnxruntime)'
    name = _unwrapped(node_name)
    for scope, part in PARTS:
        if name.startswith(scope):
            return part
    return 'pre/post-processing'


def module_of(node_name: str) -> str:
    """The module a node belongs to, two levels deep (a backbone stage, a neck or head
    layer); nodes outside the three parts fall back to :func:`part_of`.

    Example:
        >>> module_of('/backbone/layers.1/layers.1.3/dw/conv/Conv')
        'backbone/layers.1'
        >>> module_of('/detector/backbone/conv1/conv/Conv'), module_of('/TopK')
        ('backbone/conv1', 'pre/post-processing')
    """
    part = part_of(node_name)
    if part not in {p for _, p in PARTS}:
        return part
    return '/'.join(_unwrapped(node_name).strip('/').split('/')[:2])


def kernel_events(path: str, skip_runs: int = 0) -> List[Dict]:
    """The node events of an onnxruntime profile file, those of its first ``skip_runs``
    session runs (warm-up: allocations, first-touch) left out.

    Raises:
        ValueError: The file is not an onnxruntime profile, or holds no more than
            ``skip_runs`` runs (named in the message).
    """
    with open(path) as f:
        try:
            events = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{path} is not an onnxruntime profile (JSON): {err}') from None
    if not isinstance(events, list):
        raise ValueError(f'{path} is not an onnxruntime profile: expected a list of events')
    start = 0
    if skip_runs > 0:
        runs = sorted((e for e in events if e.get('name') == 'model_run'),
                      key=lambda e: e['ts'])
        if len(runs) <= skip_runs:
            raise ValueError(f'{path} holds {len(runs)} runs; cannot leave out the first '
                             f'{skip_runs}')
        start = runs[skip_runs - 1]['ts'] + runs[skip_runs - 1]['dur']
    return [e for e in events if e.get('cat') == 'Node' and e.get('ts', 0) >= start
            and str(e.get('name', '')).endswith('_kernel_time')]


def time_by(events: Iterable[Dict], key: str, runs: int = 1) -> List[Dict]:
    """Node time summed by ``key`` (``'op'``: operator type, ``'part'``: detector part,
    ``'module'``: backbone stage or neck/head layer).

    Args:
        events: Node events (:func:`kernel_events`).
        key (str): ``'op'``, ``'part'`` or ``'module'`` (:func:`module_of`).
        runs (int): Session runs the profile holds (times are divided by it).

    Returns:
        list[dict]: ``name``, ``ms`` (per run), ``nodes`` (node runs per run) and
        ``share`` of the total, by decreasing time.

    Raises:
        ValueError: ``key`` is neither.
    """
    if key not in ('op', 'part', 'module'):
        raise ValueError(f"key must be 'op', 'part' or 'module', got {key!r}")
    name_of = {'part': part_of, 'module': module_of}.get(key)
    micros, count = defaultdict(float), defaultdict(int)
    for e in events:
        if key == 'op':
            name = e.get('args', {}).get('op_name', '?')
        else:
            name = name_of(e['name'][:-len('_kernel_time')])
        micros[name] += float(e.get('dur', 0))
        count[name] += 1
    total = sum(micros.values()) or 1.0
    rows = [dict(name=n, ms=us / 1000.0 / runs, nodes=count[n] / runs, share=us / total)
            for n, us in micros.items()]
    return sorted(rows, key=lambda r: -r['ms'])


__all__ = ['PARTS', 'kernel_events', 'module_of', 'part_of', 'time_by']
