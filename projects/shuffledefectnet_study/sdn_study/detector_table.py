"""One comparison table of detectors, each row from files a run left behind.

``projects/shuffledefectnet_study/tools/compare_detectors.py`` puts side by side, per detector:
the test metrics of its ``tools/test.py`` run (:func:`.screening.read_test_dir`),
its parameters and FLOPs (:func:`.complexity.model_complexity`), its latency from
ONE ``benchmark.py --json`` run over all of them (:func:`latency_cells`) and its
training wall time from mmengine's logs (:func:`training_minutes`).

Example:
    >>> rows = [dict(config='a.py', batch=b, row=name, p50=ms, img_s=b * 1000 / ms)
    ...         for b, fwd in ((1, 5.0), (32, 80.0))
    ...         for name, ms in (('forward only', fwd), (STOCK_ROW, 2 * fwd))]
    >>> cells = latency_cells({'rows': rows}, 'a.py')
    >>> cells['whole_b1_ms'], cells['whole_b32_img_s'], cells['path']
    (10.0, 200.0, 'stock')
"""
import datetime
import glob
import json
import os.path as osp
import re
from typing import Dict, List, Sequence

from .screening import MAP_KEY, PER_CLASS_PREFIX

#: Timestamp at the start of each line of mmengine's ``<stamp>/<stamp>.log``.
LOG_TIME = re.compile(r'^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) - mmengine')
TRAIN_EPOCH = re.compile(r'Epoch\(train\)\s+\[(\d+)\]')
#: Benchmark rows a table cell is read from; the fast path when the head has one.
FAST_ROW = 'whole detector, fast (batched post-processing, one NMS call per batch)'
STOCK_ROW = 'whole detector, stock (mmdet per-image post-processing)'


def training_minutes(work_dir: str) -> dict:
    """Wall minutes of a training run from its logs (a resumed run: summed parts).

    Args:
        work_dir (str): The ``--work-dir`` of ``tools/train.py``; each start of the
            run writes ``<work_dir>/<stamp>/<stamp>.log``.

    Returns:
        dict: ``minutes`` (first to last timestamp of each log, summed),
        ``parts`` (logs read) and ``last_epoch`` (highest training epoch logged).

    Raises:
        ValueError: ``work_dir`` holds no training log.
    """
    minutes, parts, last_epoch = 0.0, 0, 0
    for path in sorted(glob.glob(osp.join(work_dir, '*', '*.log'))):
        stamp = osp.basename(osp.dirname(path))
        if osp.basename(path) != f'{stamp}.log':
            continue
        first = last = None
        with open(path, errors='replace') as f:
            for line in f:
                match = LOG_TIME.match(line)
                if match:
                    when = datetime.datetime.strptime(match.group(1), '%Y/%m/%d %H:%M:%S')
                    first, last = first or when, when
                epoch = TRAIN_EPOCH.search(line)
                if epoch:
                    last_epoch = max(last_epoch, int(epoch.group(1)))
        if first is not None:
            minutes += (last - first).total_seconds() / 60
            parts += 1
    if not parts or not last_epoch:
        raise ValueError(f'{work_dir}: no training log (<stamp>/<stamp>.log with '
                         'Epoch(train) lines); give the --work-dir of tools/train.py')
    return dict(minutes=minutes, parts=parts, last_epoch=last_epoch)


def read_benchmark(path: str) -> dict:
    """The JSON of ``tools/analysis_tools/benchmark.py --json``.

    Raises:
        ValueError: not a file, not JSON, or without ``rows``.
    """
    if not osp.isfile(path):
        raise ValueError(f'benchmark file {path} does not exist; write one with '
                         'tools/analysis_tools/benchmark.py CONFIG ... --json FILE')
    with open(path) as f:
        try:
            record = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{path}: not a JSON file ({err})') from err
    if not isinstance(record, dict) or not isinstance(record.get('rows'), list):
        raise ValueError(f'{path}: expected the JSON of benchmark.py --json (with "rows")')
    return record


def latency_cells(bench: dict, config: str) -> Dict[str, object]:
    """Forward-only and whole-detector latency of ``config`` at batch 1 and 32.

    The whole detector is the fast path (one NMS call per batch) where the benchmark
    timed it, else mmdet's stock per-image post-processing (``path`` says which).

    Raises:
        ValueError: the benchmark has no timed rows of ``config`` at batch 1 and 32, or
            timed it at several input sizes (``benchmark.py --input-size``: which one the
            table means would be a guess).
    """
    rows = [r for r in bench['rows'] if osp.normpath(r['config']) == osp.normpath(config)]
    if not rows:
        known = sorted({r['config'] for r in bench['rows']})
        raise ValueError(f'{config} is not in the benchmark (it timed: {", ".join(known)})')
    sizes = sorted({r.get('input', 'the config\'s own') for r in rows})
    if len(sizes) > 1:
        raise ValueError(f'{config} was timed at several input sizes ({", ".join(sizes)}) in '
                         'this benchmark; give compare_detectors a benchmark that times it at '
                         'one (its own input size)')

    def find(batch, name):
        for r in rows:
            if r['batch'] == batch and r['row'] == name and r.get('p50'):
                return r
        return None

    path = 'fast' if find(1, FAST_ROW) and find(32, FAST_ROW) else 'stock'
    whole = FAST_ROW if path == 'fast' else STOCK_ROW
    picked = dict(forward_b1=find(1, 'forward only'), whole_b1=find(1, whole),
                  whole_b32=find(32, whole))
    missing = [k for k, v in picked.items() if v is None]
    if missing:
        raise ValueError(f'{config}: the benchmark has no timed {", ".join(missing)} row '
                         '(run it with --batch-size 1 32)')
    return dict(forward_b1_ms=picked['forward_b1']['p50'], whole_b1_ms=picked['whole_b1']['p50'],
                whole_b32_img_s=picked['whole_b32']['img_s'], path=path)


def comparison_rows(entries: Sequence[dict]) -> List[str]:
    """Markdown rows, one per detector.

    Args:
        entries (list[dict]): ``label``, ``params_str``, ``flops_str``, ``latency``
            (from :func:`latency_cells`), ``training`` (from :func:`training_minutes`)
            and ``metrics`` (test metrics); the classes are those of the first entry.

    Returns:
        list[str]: The header, the separator and the rows.

    Raises:
        ValueError: an entry's metrics lack the mAP or a class of the first entry.
    """
    if not entries:
        raise ValueError('a comparison needs at least one detector')
    classes = [k[len(PER_CLASS_PREFIX):] for k in entries[0]['metrics']
               if k.startswith(PER_CLASS_PREFIX)]
    keys = [MAP_KEY] + [PER_CLASS_PREFIX + c for c in classes]
    head = ['detector', 'params', 'FLOPs', 'forward, batch 1 (ms)',
            'whole detector, batch 1 (ms)', 'whole detector, batch 32 (img/s)',
            'post-processing', 'training (wall min, epochs)', 'mAP@0.5'] + classes
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for e in entries:
        missing = [k for k in keys if k not in e['metrics']]
        if missing:
            raise ValueError(f"detector {e['label']!r} lacks {', '.join(missing)}")
        lat, train = e['latency'], e['training']
        cells = [e['label'], e['params_str'], e['flops_str'], f"{lat['forward_b1_ms']:.1f}",
                 f"{lat['whole_b1_ms']:.1f}", f"{lat['whole_b32_img_s']:.1f}", lat['path'],
                 f"{train['minutes']:.0f} ({train['last_epoch']})",
                 f"**{e['metrics'][MAP_KEY]:.3f}**"]
        cells += [f"{e['metrics'][k]:.3f}" for k in keys[1:]]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return lines
