"""Config files loaded as mmdet's tools load them, with clear errors, and the dataset a
data tool reads from one.

``--cfg-options`` means exactly what it means in mmdet's tools; ``--data-root`` and
``--classes`` reach every dataset of the config (:mod:`.config_data`).
"""
import os.path as osp
import sys
from typing import Optional, Sequence

from mmdet.registry import DATASETS
from mmdet.utils import register_all_modules
from mmengine.config import Config

from .config_data import leaf_datasets, set_classes, set_data_root
from .tool_errors import fail


def load_config(path: str, cfg_options: Optional[dict] = None,
                data_root: Optional[str] = None,
                classes: Optional[Sequence[str]] = None) -> Config:
    """Load a config file as mmdet's tools do, then apply ``--data-root``/``--classes``.

    ``cfg_options`` is merged exactly as by mmdet's tools (``merge_from_dict``
    and nothing else); a ``data_root`` or ``classes`` given there that reaches
    no dataset gets a warning naming the flag that would.

    Args:
        path (str): Config file.
        cfg_options (dict, optional): ``--cfg-options``. Defaults to None.
        data_root (str, optional): ``--data-root``. Defaults to None.
        classes (Sequence[str], optional): ``--classes``. Defaults to None.

    Returns:
        Config: The config.
    """
    if not osp.isfile(path):
        fail(f'config file {path} does not exist')
    try:
        cfg = Config.fromfile(path)
    except Exception as err:  # a syntax error or a missing base, say
        fail(f'cannot load config {path}: {type(err).__name__}: {err}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
        warn_unreached_options(cfg, cfg_options)
    try:
        if data_root is not None:
            set_data_root(cfg, data_root)
        if classes is not None:
            set_classes(cfg, classes)
    except ValueError as err:
        fail(f'{err} (--data-root / --classes)')
    return cfg


def warn_unreached_options(cfg: Config, options: dict) -> None:
    """Warn when ``--cfg-options data_root=``/``classes=`` changes no dataset.

    Config variables are substituted when the file is read, so with mmdet's
    semantics such an override changes only the top-level variable.
    """
    if 'data_root' in options:
        value = options['data_root']
        if not any(d.get('data_root') == value for d in leaf_datasets(cfg)):
            print(f'warning: --cfg-options data_root={value} reaches no dataset (config '
                  'variables are substituted when the file is read, as in mmdet); use '
                  f'--data-root {value} to point every dataset there, or give the full keys '
                  '(train_dataloader.dataset.data_root=..., and val/test)', file=sys.stderr)
    for key in ('classes', 'metainfo.classes', 'metainfo'):
        if key in options:
            print(f'warning: --cfg-options {key}=... reaches no dataset and not the '
                  'head\'s num_classes; use --classes NAME [NAME ...] (or the full keys, '
                  'e.g. train_dataloader.dataset.metainfo.classes and '
                  'model.bbox_head.num_classes)', file=sys.stderr)
            break


def build_annotations(cfg: Config, split: str):
    """The ``split`` dataloader's dataset of ``cfg``, built without a pipeline (annotations
    only: ``get_data_info(i)`` gives each picture's size and boxes); a clear exit when its
    data root, split file or an image is missing.

    Args:
        cfg (Config): A detector config.
        split (str): ``'train_dataloader'``, ``'val_dataloader'`` or ``'test_dataloader'``.

    Returns:
        BaseDetDataset: The dataset.
    """
    register_all_modules(init_default_scope=True)
    if not isinstance(cfg.get(split), dict) or 'dataset' not in cfg[split]:
        fail(f'the config has no {split}.dataset')
    dataset_cfg = dict(cfg[split]['dataset'])
    dataset_cfg['pipeline'] = []
    try:
        return DATASETS.build(dataset_cfg)
    except Exception as err:  # a missing data root, split file or image
        fail(f'cannot build the {split} dataset: {type(err).__name__}: {err}', code=1)


def default_work_dir(config_path: str) -> str:
    """``./work_dirs/<config name>`` as mmdet's tools choose it."""
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


__all__ = ['build_annotations', 'default_work_dir', 'load_config', 'warn_unreached_options']
