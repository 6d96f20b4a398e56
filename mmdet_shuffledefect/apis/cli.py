"""Shared plumbing of the command-line tools in ``tools/``.

Each tool is a thin CLI over mmengine's Runner with mmdet's flags; what they
share (config loading with clear errors, the launcher on CPU or GPU, the
checkpoint opt-in) lives here so the tools stay short.
"""
import argparse
import os
import os.path as osp
import sys
from typing import NoReturn, Optional, Sequence

import torch
from mmengine.config import Config, DictAction

from mmdet_shuffledefect.engine.safe_checkpoint import TRUST_ENV


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` to stderr and exit with ``code`` (non-zero)."""
    print(f'error: {message}', file=sys.stderr)
    sys.exit(code)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Flags shared by train and test, spelled as mmdet's tools spell them."""
    parser.add_argument('--work-dir', help='directory for logs and checkpoints')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, e.g. train_dataloader.batch_size=8 '
        "'model.bbox_head.num_classes=3'")
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='unpickle checkpoints fully (only for files you trust); by default '
        'only tensors and the types mmengine writes are loaded')


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config file, failing with a clear message if it cannot be."""
    if not osp.isfile(path):
        fail(f'config file {path} does not exist')
    try:
        cfg = Config.fromfile(path)
    except Exception as err:  # a syntax error or a missing base, say
        fail(f'cannot load config {path}: {type(err).__name__}: {err}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
        propagate_overrides(cfg, cfg_options)
    return cfg


def _datasets(cfg: Config):
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(key) or {}).get('dataset')
        while dataset is not None:
            yield dataset
            dataset = dataset.get('dataset')  # RepeatDataset & co. wrap one


def propagate_overrides(cfg: Config, options: dict) -> None:
    """Carry top-level ``data_root`` / ``classes`` overrides to where they act.

    Config variables are substituted when the file is read, so
    ``--cfg-options data_root=X`` alone would not reach the datasets; the
    same for a user's own ``classes`` (or ``metainfo.classes``), which must
    also reach the head's ``num_classes``.
    """
    if 'data_root' in options:
        for dataset in _datasets(cfg):
            if 'data_root' in dataset:
                dataset.data_root = options['data_root']
    classes = options.get('classes', options.get('metainfo.classes'))
    if classes is None:
        return
    classes = tuple(classes) if isinstance(classes, (list, tuple)) else (classes, )
    cfg.classes = classes
    cfg.metainfo = dict(cfg.get('metainfo') or {}, classes=classes)
    for dataset in _datasets(cfg):
        if 'pipeline' in dataset:
            dataset.metainfo = dict(dataset.get('metainfo') or {}, classes=classes)
    model = cfg.get('model', {})
    for head in ('bbox_head', 'head'):
        if isinstance(model.get(head), dict) and 'num_classes' in model[head]:
            model[head].num_classes = len(classes)


def default_work_dir(config_path: str) -> str:
    """``./work_dirs/<config name>`` as mmdet's tools choose it."""
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def apply_trust(trust: bool) -> None:
    """Opt in to full unpickling of checkpoints for this process."""
    if trust:
        os.environ[TRUST_ENV] = '1'


def setup_launcher(cfg: Config, launcher: str) -> None:
    """Set ``cfg.launcher``; on a machine without CUDA prepare a gloo group.

    mmengine 0.10.7's ``init_dist('pytorch')`` calls
    ``torch.cuda.set_device`` unconditionally, and its default DDP wrapper
    passes ``device_ids=[LOCAL_RANK]``, which a CPU module refuses. On CPU we
    create the process group ourselves (gloo; the Runner then skips
    ``init_dist``) and wrap without ``device_ids``.
    """
    cfg.launcher = launcher
    if launcher == 'none':
        return
    if launcher == 'pytorch' and 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(0)
    if torch.cuda.is_available():
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'nccl'
        return
    if launcher != 'pytorch':
        fail(f'--launcher {launcher} needs CUDA; on a CPU machine use torchrun '
             'with --launcher pytorch (gloo backend)')
    import torch.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    wrapper.setdefault('broadcast_buffers', False)
    cfg.model_wrapper_cfg = wrapper


def run_guarded(fn):
    """Call ``fn()``; turn checkpoint and data errors into a clean exit 1."""
    from mmdet_shuffledefect.engine.safe_checkpoint import (CorruptCheckpointError,
                                                            UnsafeCheckpointError)
    try:
        return fn()
    except (UnsafeCheckpointError, CorruptCheckpointError, FileNotFoundError) as err:
        fail(str(err), code=1)
    except KeyError as err:  # the registry's "X is not in the Y registry"
        if 'is not in the' not in str(err):
            raise
        fail(f'{err.args[0]} (is the type spelled right, and is its package in '
             'custom_imports?)', code=1)


def build_runner(cfg: Config):
    """Build the Runner (or the config's ``runner_type``) from ``cfg``."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def parse(parser: argparse.ArgumentParser, argv: Optional[Sequence[str]]) -> argparse.Namespace:
    """Parse ``argv`` and export ``LOCAL_RANK`` as mmdet's tools do."""
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args
