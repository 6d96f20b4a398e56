"""Point a config at your own data (every dataset's root and classes, ``num_classes``),
or at another schedule length (:func:`schedule_overrides`), or evaluate on the val split
(:func:`test_on_val`).

mmdet's configs substitute variables such as ``data_root`` when the file is
read, so changing the variable later (``--cfg-options data_root=...``) reaches
no dataset. These functions change the datasets themselves, through dataset
wrappers, and every ``num_classes`` of the model; the tools' ``--data-root``
and ``--classes`` flags and :func:`mmdet_shuffledefect.apis.init_inspection_model`
use them.
"""
import copy
import warnings
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config

from mmdet_shuffledefect.datasets.neu_classes import NEU_CLASSES


def loader_datasets(loader: Optional[dict]) -> Iterator[dict]:
    """Every dataset dict of one dataloader config, wrappers included."""
    stack = [(loader or {}).get('dataset')]
    while stack:
        dataset = stack.pop()
        if not isinstance(dataset, dict):
            continue
        yield dataset
        stack.append(dataset.get('dataset'))  # RepeatDataset, MultiImageMixDataset
        stack.extend(dataset.get('datasets') or [])  # ConcatDataset


def test_on_val(cfg: Config, cfg_options: Optional[dict] = None) -> Config:
    """A copy of ``cfg`` whose test dataloader and evaluator are its val ones: a test run
    of it evaluates the val split (settings are chosen on val, the test split read once).

    The ``test_evaluator.*`` and ``test_dataloader.*`` entries of ``cfg_options`` (the
    tool's ``--cfg-options``, already merged into ``cfg``) are merged again into the val
    copy, so that ``--split val --cfg-options test_evaluator.iou_thrs=[0.3,0.5]`` acts on
    the evaluator that runs instead of being dropped with the test one.

    Args:
        cfg (Config): A config with val and test dataloaders and evaluators.
        cfg_options (dict, optional): The ``--cfg-options`` given. Defaults to None.

    Returns:
        Config: The copy.

    Raises:
        ValueError: an option sets the test split's dataset (``test_dataloader.dataset.*``),
            which the val split replaces.

    Example:
        >>> cfg = Config(dict(val_dataloader=dict(dataset=dict(ann_file='val.txt')),
        ...                   val_evaluator=dict(type='VOCMetric'),
        ...                   test_dataloader=dict(dataset=dict(ann_file='test.txt'))))
        >>> test_on_val(cfg).test_dataloader.dataset.ann_file, cfg.test_dataloader.dataset.ann_file
        ('val.txt', 'test.txt')
        >>> test_on_val(cfg, {'test_evaluator.iou_thrs': [0.3, 0.5]}).test_evaluator.iou_thrs
        [0.3, 0.5]
    """
    test_keys = {key: value for key, value in (cfg_options or {}).items()
                 if key.split('.')[0] in ('test_evaluator', 'test_dataloader')}
    dataset_keys = [key for key in test_keys if key.startswith('test_dataloader.dataset')]
    if dataset_keys:
        raise ValueError(f'{", ".join(dataset_keys)} sets the test split\'s dataset, which '
                         'the val split replaces; give it as val_dataloader.dataset... or '
                         'leave out the val split')
    val = copy.deepcopy(cfg)
    val.test_dataloader = val.val_dataloader
    val.test_evaluator = val.val_evaluator
    if test_keys:
        val.merge_from_dict(test_keys)
    return val


def config_datasets(cfg: Config) -> Iterator[dict]:
    """Every dataset dict of the train/val/test dataloaders, wrappers included."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        yield from loader_datasets(cfg.get(key))


def leaf_datasets(cfg: Config) -> List[dict]:
    """The datasets that read files (not wrappers such as ``RepeatDataset``)."""
    return [d for d in config_datasets(cfg) if 'dataset' not in d and 'datasets' not in d]


def config_classes(cfg: Config) -> Optional[List[str]]:
    """The classes of the config's test dataset (else of the first dataset that names
    them, else ``cfg.classes``), or None when the config names none.

    Example:
        >>> config_classes(Config(dict(test_dataloader=dict(dataset=dict(
        ...     type='RepeatDataset', dataset=dict(metainfo=dict(classes=('a', 'b'))))))))
        ['a', 'b']
    """
    test = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    while isinstance(test, dict) and 'dataset' in test:
        test = test['dataset']
    for dataset in [test] + leaf_datasets(cfg):
        classes = ((dataset or {}).get('metainfo') or {}).get('classes')
        if classes:
            return list(classes)
    return list(cfg.classes) if cfg.get('classes') else None


def detector_classes(cfg: Config) -> Tuple[str, ...]:
    """The classes a detector config trains and tests on: :func:`config_classes`, else
    NEU-DET's six (a config that names none trains on NEU-DET)."""
    classes = config_classes(cfg)
    return tuple(NEU_CLASSES if classes is None else classes)


def set_data_root(cfg: Config, data_root: str) -> None:
    """Point every dataset of ``cfg`` (and ``cfg.data_root``) at ``data_root``.

    Example:
        >>> cfg = Config(dict(train_dataloader=dict(dataset=dict(
        ...     type='RepeatDataset', dataset=dict(type='NEUDETDataset', data_root='a/')))))
        >>> set_data_root(cfg, 'b/')
        >>> cfg.train_dataloader.dataset.dataset.data_root
        'b/'
    """
    if not data_root:
        raise ValueError('data_root must be a non-empty path')
    if not data_root.endswith('/'):
        data_root += '/'
    cfg.data_root = data_root
    for dataset in leaf_datasets(cfg):
        dataset.data_root = data_root


def dicts_with_key(node, key: str) -> Iterator[dict]:
    """Every dict inside ``node`` (nested dicts and lists, ``node`` included) that has
    ``key``.

    Example:
        >>> [d['num_classes'] for d in dicts_with_key(
        ...     dict(head=dict(num_classes=6), aux=[dict(num_classes=2)]), 'num_classes')]
        [6, 2]
    """
    if isinstance(node, dict):
        if key in node:
            yield node
        for value in node.values():
            yield from dicts_with_key(value, key)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from dicts_with_key(value, key)


def set_classes(cfg: Config, classes: Sequence[str]) -> None:
    """Use ``classes`` in every dataset and as every ``num_classes`` of the model.

    Per-class alarm thresholds (``inspection_score_thr`` as a dict) that name other classes
    are removed, with a warning: they were chosen for another model's classes, and the config
    a training writes into its work dir would otherwise make the inspection tools refuse it.

    Example:
        >>> cfg = Config(dict(model=dict(bbox_head=dict(num_classes=6)),
        ...                   test_dataloader=dict(dataset=dict(type='NEUDETDataset'))))
        >>> set_classes(cfg, ['scale', 'hole'])
        >>> cfg.model.bbox_head.num_classes, cfg.test_dataloader.dataset.metainfo.classes
        (2, ('scale', 'hole'))
    """
    classes = tuple(str(c) for c in classes)
    if not classes:
        raise ValueError('classes must name at least one class')
    if len(set(classes)) != len(classes):
        raise ValueError(f'classes must be unique, got {list(classes)}')
    cfg.classes = classes
    cfg.metainfo = dict(cfg.get('metainfo') or {}, classes=classes)
    for dataset in leaf_datasets(cfg):
        dataset.metainfo = dict(dataset.get('metainfo') or {}, classes=classes)
    for key in ('model', 'data_preprocessor'):
        for holder in dicts_with_key(cfg.get(key), 'num_classes'):
            holder['num_classes'] = len(classes)
    thresholds = cfg.get('inspection_score_thr')
    if isinstance(thresholds, dict) and set(thresholds) != set(classes):
        cfg.pop('inspection_score_thr')
        warnings.warn(f'inspection_score_thr removed: its thresholds are for the classes '
                      f'{sorted(thresholds)}, not {list(classes)}; the inspection tools use '
                      '--score-thr or 0.3 (choose per-class ones on your val split with '
                      'tools/analysis_tools/choose_score_thr.py)')


def schedule_overrides(cfg, epochs: int) -> Dict[str, int]:
    """``--cfg-options`` that make an epoch-based config train for ``epochs``.

    Args:
        cfg (Config): The loaded config.
        epochs (int): The new number of epochs, >= 1.

    Returns:
        dict: Option key -> value, in the ``merge_from_dict`` form.

    Raises:
        ValueError: ``epochs`` < 1, or the config has no epoch-based loop.

    Example:
        >>> cfg = Config(dict(train_cfg=dict(max_epochs=40), param_scheduler=[
        ...     dict(type='LinearLR', by_epoch=False, begin=0, end=30),
        ...     dict(type='CosineAnnealingLR', T_max=40, by_epoch=True, begin=0, end=40)]))
        >>> schedule_overrides(cfg, 20)
        {'train_cfg.max_epochs': 20, 'param_scheduler.1.end': 20, 'param_scheduler.1.T_max': 20}
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


def epoch_overrides(cfg, epochs: int, given: Iterable[str] = ()) -> Dict[str, int]:
    """:func:`schedule_overrides` plus everything else counted in epochs, scaled with it:
    the validation interval, the checkpoint interval and a ``PipelineSwitchHook``'s
    ``switch_epoch`` (each ``round(value * epochs / max_epochs)``, at least 1; the switch
    stays before the end when it was). What ``tools/train.py --epochs`` applies.

    Args:
        cfg (Config): The loaded config (``--cfg-options`` already merged).
        epochs (int): The new number of epochs, >= 1.
        given (Iterable[str]): Keys the user set explicitly (``--cfg-options``); they are
            left out, so an explicit value wins over the derived one.

    Example:
        >>> cfg = Config(dict(train_cfg=dict(max_epochs=60, val_interval=5),
        ...                   default_hooks=dict(checkpoint=dict(interval=1)),
        ...                   custom_hooks=[dict(type='PipelineSwitchHook', switch_epoch=50)],
        ...                   param_scheduler=[dict(type='CosineAnnealingLR', T_max=60,
        ...                                         by_epoch=True, begin=0, end=60)]))
        >>> opts = epoch_overrides(cfg, 12)
        >>> opts['custom_hooks.0.switch_epoch'], opts['train_cfg.val_interval']
        (10, 1)
        >>> 'train_cfg.val_interval' in epoch_overrides(cfg, 12, given=['train_cfg.val_interval'])
        False
    """
    options = schedule_overrides(cfg, epochs)
    old = cfg.train_cfg.max_epochs

    def scaled(value: int, before_end: bool = False) -> int:
        new = max(1, int(round(value * epochs / old)))
        return min(new, epochs - 1) if before_end and value < old and epochs > 1 else new

    if cfg.train_cfg.get('val_interval'):
        options['train_cfg.val_interval'] = min(scaled(cfg.train_cfg.val_interval), epochs)
    interval = ((cfg.get('default_hooks') or {}).get('checkpoint') or {}).get('interval')
    if interval and interval > 0:
        options['default_hooks.checkpoint.interval'] = min(scaled(interval), epochs)
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        if hook.get('type') == 'PipelineSwitchHook' and 'switch_epoch' in hook:
            options[f'custom_hooks.{i}.switch_epoch'] = scaled(hook['switch_epoch'], True)
    given = set(given)
    return {key: value for key, value in options.items() if key not in given}
