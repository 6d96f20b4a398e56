"""The Runner a tool builds from its config: the launcher on CPU (gloo) or GPU, the
evaluators' output files in the work dir, and a terminal that shows the run rather than
the ~550 lines of config dump and tables (they stay in the log file).
"""
import contextlib
import logging
import os
import os.path as osp

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .model_check import check_if_ours
from .tool_errors import fail


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


__all__ = ['FILE_ONLY_RECORDS', 'FileOnlyFilter', 'build_runner', 'place_evaluator_outputs',
           'quiet_console', 'setup_launcher']
