"""Recipe screening: short-schedule overrides, run records and the val-metric table.

``tools/analysis_tools/screen_recipe.py`` trains each lever config for a
short schedule and writes ``results/recipe_ablation.md``; the pieces it needs
that are worth testing on their own live here:

* :func:`schedule_overrides` - the ``--cfg-options`` that shorten an
  epoch-based config to ``epochs`` (the loop's ``max_epochs`` and every
  by-epoch scheduler that ends, or has its period, at the old length);
* :func:`read_val_metrics` - the validation metrics per epoch from mmengine's
  ``vis_data/scalars.json`` files of a work dir (a resumed run has several);
* :func:`ablation_rows` - the markdown rows of the table.

Example:
    >>> from mmengine.config import Config
    >>> cfg = Config(dict(train_cfg=dict(max_epochs=40), param_scheduler=[
    ...     dict(type='LinearLR', by_epoch=False, begin=0, end=30),
    ...     dict(type='CosineAnnealingLR', T_max=40, by_epoch=True, begin=0, end=40)]))
    >>> schedule_overrides(cfg, 20)
    {'train_cfg.max_epochs': 20, 'param_scheduler.1.end': 20, 'param_scheduler.1.T_max': 20}
"""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

#: The metric a detection screen ranks by, and the prefix of its per-class values.
MAP_KEY = 'pascal_voc/mAP'
PER_CLASS_PREFIX = 'pascal_voc/AP50_'


def schedule_overrides(cfg, epochs: int) -> Dict[str, int]:
    """``--cfg-options`` that make an epoch-based config train for ``epochs``.

    Args:
        cfg (Config): The loaded config.
        epochs (int): The new number of epochs, >= 1.

    Returns:
        dict: Option key -> value, in the ``merge_from_dict`` form.

    Raises:
        ValueError: ``epochs`` < 1, or the config has no epoch-based loop.
    """
    if epochs < 1:
        raise ValueError(f'epochs must be >= 1, got {epochs}')
    old = cfg.get('train_cfg', {}).get('max_epochs')
    if old is None:
        raise ValueError('the config has no train_cfg.max_epochs (not an epoch-based loop); '
                         'cannot shorten its schedule')
    options = {'train_cfg.max_epochs': epochs}
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
        prefix = 'param_scheduler.'
    else:
        prefix = 'param_scheduler.{}.'
    for i, sched in enumerate(schedulers):
        if not sched.get('by_epoch', True):
            continue
        key = prefix.format(i)
        if sched.get('end') == old:
            options[key + 'end'] = epochs
        if sched.get('T_max') == old:
            options[key + 'T_max'] = epochs
    return options


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
