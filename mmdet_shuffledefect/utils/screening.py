"""Recipe screening: run records and the table of val metrics.

``tools/analysis_tools/screen_recipe.py`` trains each lever config for a
short schedule (:func:`~.config_data.schedule_overrides`) and writes
``results/recipe_ablation.md``; the pieces it needs that are worth testing on
their own live here:

* :func:`read_val_metrics` - the validation metrics per epoch from mmengine's
  ``vis_data/scalars.json`` files of a work dir (a resumed run has several);
* :func:`ablation_rows` - the markdown rows of the table.

Example:
    >>> summary = run_summary({5: {MAP_KEY: 0.3}, 10: {MAP_KEY: 0.5}})
    >>> summary['best_epoch'], summary['best_map']
    (10, 0.5)
"""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

#: The metric a detection screen ranks by, and the prefix of its per-class values.
MAP_KEY = 'pascal_voc/mAP'
PER_CLASS_PREFIX = 'pascal_voc/AP50_'


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
