"""Shared plumbing of the command-line tools in ``tools/``.

Each tool is a thin CLI over mmengine's Runner with mmdet's flags; what they
share (config loading with clear errors, the launcher on CPU or GPU, the
checkpoint opt-in, ``--data-root``/``--classes``) lives here so the tools stay
short. ``--cfg-options`` means exactly what it means in mmdet's tools.
"""
import argparse
import contextlib
import logging
import os
import os.path as osp
import sys
from typing import NoReturn, Optional, Sequence

import torch
import torch.distributed as dist
from mmdet.registry import DATASETS
from mmdet.utils import register_all_modules
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmdet_shuffledefect.compat.mmengine_weights_only import (TRUST_ENV, CorruptCheckpointError,
                                                              UnsafeCheckpointError)
from mmdet_shuffledefect.datasets.neu_classes import DataError

from .checkpoint_fit import CheckpointMismatchError, checkpoint_classes, enable_strict_loading
from .config_data import config_classes, leaf_datasets, set_classes, set_data_root
from .input_size import set_input_size
from .model_check import ModelConsistencyError, check_if_ours


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's defaults formatter, except where a help text already says its default.

    ``ArgumentDefaultsHelpFormatter`` appends ``(default: None)`` to a help text that
    explains its own default (``(default: the config's)``), which then reads twice and
    contradicts itself; here such a text is left as written.

    Example:
        >>> p = argparse.ArgumentParser(formatter_class=DefaultsHelpFormatter)
        >>> _ = p.add_argument('--epochs', type=int, help="(default: the config's)")
        >>> _ = p.add_argument('--seed', type=int, default=0, help='random seed')
        >>> text = ' '.join(p.format_help().split())
        >>> "(default: the config's) (default" in text, 'random seed (default: 0)' in text
        (False, True)
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        if '(default:' in (action.help or ''):
            return action.help
        return super()._get_help_string(action)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` to stderr and exit with ``code`` (non-zero)."""
    print(f'error: {message}', file=sys.stderr)
    sys.exit(code)


def add_old_spelling(parser: argparse.ArgumentParser, old: str, new: str, **kwargs) -> None:
    """Accept ``old`` (an earlier spelling) for the flag ``new``, without listing it in
    ``--help``: one spelling per flag in the docs, old command lines still run.

    Example:
        >>> p = argparse.ArgumentParser()
        >>> _ = p.add_argument('--batch-size', type=int, nargs='+', default=[1])
        >>> add_old_spelling(p, '--batch-sizes', '--batch-size', type=int, nargs='+')
        >>> p.parse_args(['--batch-sizes', '2', '3']).batch_size
        [2, 3]
    """
    dest = new.lstrip('-').replace('-', '_')
    parser.add_argument(old, dest=dest, help=argparse.SUPPRESS, default=argparse.SUPPRESS,
                        **kwargs)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Flags shared by train and test, spelled and meant as in mmdet's tools."""
    parser.add_argument('--work-dir', help='directory for logs and checkpoints')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries exactly as mmdet\'s tools do, e.g. '
        "train_dataloader.batch_size=8 'model.bbox_head.num_classes=3' (for your own "
        'data use --data-root and --classes)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument('--verbose', action='store_true',
                        help='also print the config dump, environment and hook tables to '
                        'the terminal (they are always in the log file of the work dir)')
    add_trust_arg(parser)


def add_trust_arg(parser: argparse.ArgumentParser) -> None:
    """``--trust-checkpoint``: unpickle checkpoints fully (see :func:`apply_trust`)."""
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='unpickle checkpoints fully (only for files you trust); by default '
        'only tensors and the types mmengine writes are loaded')


def add_classes_arg(parser: argparse.ArgumentParser) -> None:
    """``--classes``: your own class names (sets every dataset and ``num_classes``)."""
    parser.add_argument(
        '--classes', nargs='+', metavar='NAME',
        help='your own class names, in label order: set on every dataset and as '
        'num_classes of the head (default: the config\'s classes)')


#: ``--backend`` choices: PyTorch, or an exported ``.onnx`` file in one of these runtimes
BACKENDS = ('pytorch', 'onnxruntime', 'openvino')


def add_backend_args(parser: argparse.ArgumentParser, backends=BACKENDS,
                     default: str = 'pytorch') -> None:
    """``--backend`` and ``--precision`` (reduced precision is asked for, never implied)."""
    parser.add_argument('--backend', choices=list(backends), default=default,
                        help='run the model in PyTorch, or an exported whole-detector .onnx '
                        'file (tools/deployment/export_onnx.py) in onnxruntime or OpenVINO')
    parser.add_argument('--precision', choices=['f32', 'bf16', 'int8'], default='f32',
                        help='inference precision; bf16 needs --backend openvino and a CPU '
                        'with bf16; int8 a file of tools/deployment/quantize.py (the tool '
                        'prints the precision that ran)')


def check_backend_args(args) -> None:
    """Refuse a precision the chosen backend does not run (exit 2)."""
    if args.precision == 'bf16' and args.backend != 'openvino':
        fail(f'--precision bf16 needs --backend openvino (--backend {args.backend} runs f32)')
    if args.precision == 'int8' and args.backend == 'pytorch':
        fail('--precision int8 needs an INT8 .onnx file (tools/deployment/quantize.py) and '
             '--backend onnxruntime or openvino')


def add_input_size_arg(parser: argparse.ArgumentParser) -> None:
    """``--input-size PX`` (see :func:`apply_input_size`)."""
    parser.add_argument('--input-size', type=int, metavar='PX',
                        help='square input side: every pipeline size, the SSD anchors and the '
                        'config\'s input_size follow it (default: the config\'s)')


def apply_input_size(cfg: Config, size: Optional[int]) -> None:
    """``--input-size``: set it on ``cfg`` and print what changed; exit 2 with the reason
    where the config cannot follow (:func:`~.input_size.set_input_size`)."""
    if size is None:
        return
    try:
        changes = set_input_size(cfg, size)
    except ValueError as err:
        fail(f'--input-size {size}: {err}')
    print(f'--input-size {size}: ' + '; '.join(changes), flush=True)


def add_partial_load_arg(parser: argparse.ArgumentParser) -> None:
    """``--partial-load``: accept a checkpoint that does not fit the config."""
    parser.add_argument(
        '--partial-load', action='store_true',
        help='load only the checkpoint tensors that fit the model, keep the rest as '
        'initialised and name what was left out, by module (default: a checkpoint that does '
        'not fit the config, or whose classes differ from it, is refused)')


def guard_checkpoint(args: argparse.Namespace, cfg: Config, checkpoint: str,
                     classes_win: bool) -> None:
    """Before a tool predicts with ``checkpoint``: unless ``--partial-load``, refuse
    (exit 1, one ``error:`` line) tensors that do not fit the model, and either take the
    checkpoint's recorded classes (``classes_win``: export, benchmark, inspection) or
    refuse classes that differ from the config's (test: the dataset's labels must be
    the model's)."""
    if getattr(args, 'partial_load', False):
        enable_strict_loading(checkpoint, partial=True)  # names what was left out
        return
    enable_strict_loading(checkpoint)
    try:
        recorded = checkpoint_classes(checkpoint)
    except Exception:  # noqa: BLE001  (unreadable files are reported by the loader itself)
        return
    if not recorded:
        return
    given = getattr(args, 'classes', None)
    current = list(given) if given else config_classes(cfg)
    if current == recorded or (current is None and not classes_win):
        return
    if classes_win and not given:
        set_classes(cfg, recorded)
        return
    fail(f'checkpoint {checkpoint} was trained on the classes {recorded}, but '
         + ('--classes gives ' if given else 'the config has ') + f'{current}; '
         + ('test with the data of those classes (--data-root, --classes)' if not classes_win
            else 'drop --classes to use the checkpoint\'s') + ', or pass --partial-load',
         code=1)


def add_data_args(parser: argparse.ArgumentParser) -> None:
    """``--data-root`` and ``--classes``, for every tool that reads a dataset."""
    parser.add_argument(
        '--data-root', metavar='DIR',
        help='dataset folder, set on every dataset of the config (train, val and test, '
        'through dataset wrappers)')
    add_classes_arg(parser)


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


def add_loader_split_arg(parser: argparse.ArgumentParser, what: str) -> None:
    """``--split``: which dataloader's dataset a data tool reads (the training set default)."""
    parser.add_argument('--split', default='train_dataloader',
                        choices=['train_dataloader', 'val_dataloader', 'test_dataloader'],
                        help=f'{what} (default: the training set)')


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
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    wrapper.setdefault('broadcast_buffers', False)
    cfg.model_wrapper_cfg = wrapper


def run_guarded(fn):
    """Call ``fn()``; turn checkpoint and data errors into one ``error:`` line, exit 1."""
    try:
        return fn()
    except (UnsafeCheckpointError, CorruptCheckpointError, CheckpointMismatchError,
            ModelConsistencyError, FileNotFoundError, DataError) as err:
        fail(str(err), code=1)
    except KeyError as err:  # the registry's "X is not in the Y registry"
        if 'is not in the' not in str(err):
            raise
        fail(f'{err.args[0]} (is the type spelled right, and is its package in '
             'custom_imports?)', code=1)


def place_evaluator_outputs(cfg: Config) -> None:
    """Put the evaluators' relative ``out_file`` (e.g. the confusion-matrix picture)
    under ``cfg.work_dir`` instead of the current folder; absolute paths stay.

    Example:
        >>> cfg = Config(dict(work_dir='work', test_evaluator=[
        ...     dict(type='ConfusionMatrixPlot', out_file='cm.png')]))
        >>> place_evaluator_outputs(cfg)
        >>> cfg.test_evaluator[0]['out_file']
        'work/cm.png'
    """
    for key in ('val_evaluator', 'test_evaluator'):
        evaluators = cfg.get(key)
        for evaluator in (evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]):
            out_file = evaluator.get('out_file') if isinstance(evaluator, dict) else None
            if isinstance(out_file, str) and not osp.isabs(out_file):
                evaluator['out_file'] = osp.join(cfg.work_dir, out_file)


#: Start of the log records that go to the log file only, unless ``--verbose``: the
#: environment block, the config dump, the hook table and two notices that say
#: nothing about this run (mmengine logs all of them at INFO, ~550 lines).
FILE_ONLY_RECORDS = ('\n------------------------------------------------------------\nSystem '
                     'environment', 'Config:\n', 'Hooks will be executed in the following order',
                     'Distributed training is not used', '"FileClient" will be deprecated',
                     '"HardDiskBackend" is the alias')


class FileOnlyFilter:
    """A console-handler filter that drops :data:`FILE_ONLY_RECORDS` (kept in the file)."""

    def filter(self, record) -> bool:
        return not str(record.getMessage()).startswith(FILE_ONLY_RECORDS)


def quiet_console(enabled: bool = True):
    """While building a Runner: every ``MMLogger`` created gets :class:`FileOnlyFilter`
    on its console handlers (its file handler keeps every record).

    Example:
        >>> with quiet_console():
        ...     pass
    """
    @contextlib.contextmanager
    def patched():
        original = MMLogger.__init__

        def init(self, *args, **kwargs):
            original(self, *args, **kwargs)
            for handler in self.handlers:
                if (isinstance(handler, logging.StreamHandler)
                        and not isinstance(handler, logging.FileHandler)):
                    handler.addFilter(FileOnlyFilter())

        MMLogger.__init__ = init
        try:
            yield
        finally:
            MMLogger.__init__ = original

    return patched() if enabled else contextlib.nullcontext()


def build_runner(cfg: Config, verbose: bool = False):
    """Build the Runner (or the config's ``runner_type``) from ``cfg``; the evaluators'
    relative output files go into the work dir (:func:`place_evaluator_outputs`). Unless
    ``verbose``, the config dump, environment and hook tables go to the log file only
    (:func:`quiet_console`), and the terminal says where that file is."""
    place_evaluator_outputs(cfg)
    with quiet_console(not verbose):
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    if not verbose:
        log_file = getattr(runner.logger, 'log_file', None) or runner.log_dir
        runner.logger.info(f'config, environment and hooks: in {log_file} (--verbose prints '
                           'them here)')
    check_if_ours(runner.model, cfg)
    return runner


def parse(parser: argparse.ArgumentParser, argv: Optional[Sequence[str]]) -> argparse.Namespace:
    """Parse ``argv`` and export ``LOCAL_RANK`` as mmdet's tools do."""
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args
