"""Recipe screening: run records and the table of val metrics.

``projects/shuffledefectnet_study/tools/screen_recipe.py`` trains each lever config for a
short schedule (:func:`~.config_data.schedule_overrides`) and writes
``results/recipe_ablation.md``; the pieces it needs that are worth testing on
their own live here:

* :func:`read_val_metrics` - the validation metrics per epoch from mmengine's
  ``vis_data/scalars.json`` files of a work dir (a resumed run has several);
* :func:`ablation_rows` - the markdown rows of the table;
* :func:`read_test_metrics`, :func:`read_test_dir`, :func:`test_rows` - a test
  run's metrics (what ``tools/test.py`` logged) and a table of several runs with
  their mean, for ``projects/shuffledefectnet_study/tools/test_table.py`` and the other tables made
  from test runs;
* :func:`write_block` - a generated block between two markers of a results file,
  the text around it kept; :func:`add_block_args` and :func:`write_table` - the
  flags and the writing of such a block (caption, table, commands, and the
  command line that generated it) shared by the table tools.

Example:
    >>> summary = run_summary({5: {MAP_KEY: 0.3}, 10: {MAP_KEY: 0.5}})
    >>> summary['best_epoch'], summary['best_map']
    (10, 0.5)
"""
import argparse
import glob
import json
import os
import os.path as osp
import shlex
from typing import Dict, List, Optional, Sequence

# the metric a detection screen ranks by, and the prefix of its per-class values
from mmdet_shuffledefect.evaluation.neu_voc_metric import MAP_KEY, PER_CLASS_PREFIX


def read_val_metrics(work_dir: str) -> Dict[int, Dict[str, float]]:
    """Validation metrics per epoch found under ``work_dir`` (later runs win).

    Args:
        work_dir (str): A training work dir; mmengine writes
            ``<work_dir>/<timestamp>/vis_data/scalars.json`` (one JSON object a line).

    Returns:
        dict: epoch -> {metric name: value}, for the lines that hold ``MAP_KEY``
        or another metric without ``loss``/``lr`` (training lines are skipped).
    """
    metrics: Dict[int, Dict[str, float]] = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise ValueError(f'{path}: not a JSON line ({err}): {line[:80]}') from err
                if MAP_KEY not in record:
                    continue
                metrics[int(record['step'])] = {k: float(v) for k, v in record.items()
                                                if isinstance(v, (int, float)) and k != 'step'}
    return metrics


def run_summary(metrics: Dict[int, Dict[str, float]]) -> Optional[dict]:
    """The last epoch's metrics and the best epoch by ``MAP_KEY`` (None if no val yet)."""
    if not metrics:
        return None
    last = max(metrics)
    best = max(metrics, key=lambda e: (metrics[e][MAP_KEY], e))
    return dict(last_epoch=last, last=metrics[last], best_epoch=best,
                best_map=metrics[best][MAP_KEY])


def ablation_rows(runs: Sequence[dict], classes: Sequence[str]) -> List[str]:
    """Markdown table rows: one per run, val mAP@0.5 per class at the last epoch.

    Args:
        runs (list[dict]): Each with ``name``, ``epochs``, ``seed``, ``wall_min``,
            ``summary`` (from :func:`run_summary`, or None while untrained). The
            first run is the reference of the ``delta`` column.
        classes (list[str]): Class names, in the order of the columns.

    Returns:
        list[str]: The header, the separator and one row per run.
    """
    head = (['lever (config)', 'epochs', 'seed', 'val mAP@0.5', 'delta', 'best (epoch)']
            + list(classes) + ['wall min'])
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    ref = runs[0]['summary']['last'][MAP_KEY] if runs and runs[0].get('summary') else None
    for run in runs:
        summ = run.get('summary')
        if summ is None:
            cells = [run['name'], str(run['epochs']), str(run['seed']), 'not trained', '', '']
            cells += [''] * len(classes) + ['']
        else:
            value = summ['last'][MAP_KEY]
            delta = '' if ref is None or run is runs[0] else f'{value - ref:+.3f}'
            cells = [run['name'], f"{summ['last_epoch']}/{run['epochs']}", str(run['seed']),
                     f'{value:.3f}', delta, f"{summ['best_map']:.3f} ({summ['best_epoch']})"]
            cells += [f"{summ['last'].get(PER_CLASS_PREFIX + c, float('nan')):.3f}"
                      for c in classes]
            cells.append(f"{run['wall_min']:.1f}" if run.get('wall_min') else '')
        lines.append('| ' + ' | '.join(cells) + ' |')
    return lines


def read_test_metrics(work_dir: str) -> Dict[str, float]:
    """The metrics of the newest test run in ``work_dir``.

    Args:
        work_dir (str): The ``--work-dir`` of ``tools/test.py``; mmengine writes
            ``<work_dir>/<timestamp>/<timestamp>.json`` with the metrics.

    Returns:
        dict: metric name -> value (``MAP_KEY`` and the per-class APs among them).

    Raises:
        ValueError: ``work_dir`` holds no test metrics.
    """
    found = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', '*.json'))):
        stamp = osp.basename(osp.dirname(path))
        if osp.basename(path) != f'{stamp}.json':
            continue
        with open(path) as f:
            try:
                record = json.load(f)
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}: not a JSON file ({err})') from err
        if isinstance(record, dict) and MAP_KEY in record:
            found.append(record)
    if not found:
        raise ValueError(f'{work_dir}: no test metrics (<timestamp>/<timestamp>.json with '
                         f'{MAP_KEY}); run tools/test.py CONFIG CKPT --work-dir {work_dir}')
    return {k: float(v) for k, v in found[-1].items() if isinstance(v, (int, float))}


def read_test_dir(work_dir: str, what: str) -> Dict[str, float]:
    """:func:`read_test_metrics` of a work dir given on a command line.

    Args:
        work_dir (str): The ``--work-dir`` of a ``tools/test.py`` run.
        what (str): What the dir stands for, named in the error (e.g. ``run 'seed 0'``).

    Returns:
        dict: metric name -> value.

    Raises:
        ValueError: ``work_dir`` is not a directory or holds no test metrics.

    Example:
        >>> read_test_dir('/nonexistent', "run 'x'")
        Traceback (most recent call last):
        ...
        ValueError: /nonexistent (run 'x') is not a directory
    """
    if not osp.isdir(work_dir):
        raise ValueError(f'{work_dir} ({what}) is not a directory')
    return read_test_metrics(work_dir)


def test_rows(runs: Sequence[tuple], mean: bool = True,
              first: Sequence[str] = ()) -> List[str]:
    """Markdown table of test mAP@0.5 and AP per class, one row per run.

    Where every run has a bootstrap interval (``pascal_voc/mAP_low`` / ``_high``, from
    ``NEUVOCMetric(bootstrap=N)``), a ``[95 %]`` column follows mAP@0.5.

    Args:
        runs (list[tuple]): ``(label, metrics)`` pairs, metrics as from
            :func:`read_test_metrics`; the classes are those of the first run.
        mean (bool): Add a row with the mean (and the population std) of the runs.
        first (Sequence[str]): Classes to put first, in this order (e.g. the hardest
            ones); the others keep the runs' order.

    Returns:
        list[str]: The header, the separator and the rows.

    Raises:
        ValueError: No run, a run without a metric of the first run, or a class in
            ``first`` that the runs do not have.

    Example:
        >>> m = {MAP_KEY: 0.5, PER_CLASS_PREFIX + 'a': 0.4, PER_CLASS_PREFIX + 'b': 0.6}
        >>> test_rows([('seed 0', m)])[2]
        '| seed 0 | 0.500 | 0.400 | 0.600 |'
        >>> test_rows([('seed 0', m)], first=['b'])[0]
        '| run | mAP@0.5 | b | a |'
    """
    if not runs:
        raise ValueError('a test table needs at least one run')
    classes = [k[len(PER_CLASS_PREFIX):] for k in runs[0][1] if k.startswith(PER_CLASS_PREFIX)]
    unknown = [c for c in first if c not in classes]
    if unknown:
        raise ValueError(f'classes to put first {unknown} are not among the runs\' '
                         f'classes {classes}')
    classes = list(first) + [c for c in classes if c not in first]
    keys = [MAP_KEY] + [PER_CLASS_PREFIX + c for c in classes]
    interval = all(MAP_KEY + '_low' in m and MAP_KEY + '_high' in m for _, m in runs)
    lines = ['| ' + ' | '.join(['run', 'mAP@0.5'] + (['[95 %]'] if interval else [])
                               + classes) + ' |',
             '|' + '---|' * (len(classes) + 2 + interval)]
    for label, metrics in runs:
        missing = [k for k in keys if k not in metrics]
        if missing:
            raise ValueError(f'run {label!r} lacks {", ".join(missing)}')
        cells = [f'{metrics[k]:.3f}' for k in keys]
        if interval:
            cells.insert(1, f"{metrics[MAP_KEY + '_low']:.3f}-{metrics[MAP_KEY + '_high']:.3f}")
        lines.append('| ' + ' | '.join([label] + cells) + ' |')
    if mean and len(runs) > 1:
        cells = []
        for k in keys:
            values = [m[k] for _, m in runs]
            avg = sum(values) / len(values)
            std = (sum((v - avg) ** 2 for v in values) / len(values)) ** 0.5
            cells.append(f'**{avg:.3f}** ± {std:.3f}' if k == MAP_KEY else f'{avg:.3f}')
        if interval:
            cells.insert(1, '')
        lines.append('| ' + ' | '.join([f'mean of {len(runs)}'] + cells) + ' |')
    return lines


def write_block(path: str, tag: str, block: Sequence[str], title: str) -> None:
    """Put ``block`` between ``<!-- tag: begin -->`` and ``<!-- tag: end -->`` in
    ``path``, replacing what was there and keeping the rest; a file or a block not
    there yet is created (the file with ``title`` as its first line)."""
    begin, end = f'<!-- {tag}: begin -->', f'<!-- {tag}: end -->'
    lines = '\n'.join([begin, *block, end])
    text = ''
    if osp.isfile(path):
        with open(path) as f:
            text = f.read()
    if begin in text and end in text:
        text = text[:text.index(begin)] + lines + text[text.index(end) + len(end):]
    else:
        text = (text or f'{title}\n\n') + lines + '\n'
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def add_block_args(parser: argparse.ArgumentParser, tag: str) -> None:
    """``--out``, ``--tag``, ``--title``, ``--caption`` and ``--command`` of a tool that
    writes a table into a results file (see :func:`write_table`)."""
    parser.add_argument('--out', help='results file to write the table into')
    parser.add_argument('--tag', default=tag, help='marker tag in --out')
    parser.add_argument('--title', default='# Test results', help='first line of a new --out')
    parser.add_argument('--caption', default='', help='a line above the table')
    parser.add_argument('--command', action='append', default=[],
                        help='a command that made the runs, listed under the table (repeatable)')


def write_table(args: argparse.Namespace, rows: Sequence[str], tool: str,
                argv: Sequence[str]) -> None:
    """Write ``rows`` between the ``args.tag`` markers of ``args.out`` (nothing without
    ``--out``): ``args.caption`` above, the ``args.command`` lines and the command line
    ``python TOOL ARGV`` that generated the table below.

    Example:
        >>> import tempfile
        >>> out = osp.join(tempfile.mkdtemp(), 'r.md')
        >>> args = argparse.Namespace(out=out, tag='t', title='# R', caption='', command=[])
        >>> write_table(args, ['| a |'], 'tools/x.py', ['--flag', 'two words'])  # doctest: +ELLIPSIS
        [x] written to .../r.md (tag 't')
        >>> open(out).read().splitlines()[-2]
        "Table generated by `python tools/x.py --flag 'two words'`."
    """
    if not args.out:
        return
    block = ([args.caption, ''] if args.caption else []) + list(rows)
    if args.command:
        block += ['', 'Commands:', '', '```bash', *args.command, '```']
    block += ['', f'Table generated by `python {tool} '
              + ' '.join(shlex.quote(a) for a in argv) + '`.']
    write_block(args.out, args.tag, block, args.title)
    print(f'[{osp.splitext(osp.basename(tool))[0]}] written to {args.out} (tag {args.tag!r})')
