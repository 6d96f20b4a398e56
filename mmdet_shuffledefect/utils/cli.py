"""The command-line flags the tools in ``tools/`` share, declared once, and what applies
them (``--input-size``, ``--trust-checkpoint``, the checkpoint guard of ``--classes`` /
``--partial-load``, ``--backend``/``--precision``).

Each tool is a thin CLI over mmengine's Runner with mmdet's flags; config loading is in
:mod:`.config_loading`, building the Runner in :mod:`.runner_setup`, the way out on bad
input in :mod:`.tool_errors`.
"""
import argparse
import os
from typing import Optional, Sequence

from mmengine.config import Config, DictAction

from mmdet_shuffledefect.compat.mmengine_weights_only import TRUST_ENV

from .checkpoint_fit import checkpoint_classes, enable_strict_loading
from .config_data import config_classes, set_classes
from .input_size import set_input_size
from .tool_errors import fail


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


def add_loader_split_arg(parser: argparse.ArgumentParser, what: str) -> None:
    """``--split``: which dataloader's dataset a data tool reads (the training set default)."""
    parser.add_argument('--split', default='train_dataloader',
                        choices=['train_dataloader', 'val_dataloader', 'test_dataloader'],
                        help=f'{what} (default: the training set)')


def apply_trust(trust: bool) -> None:
    """Opt in to full unpickling of checkpoints for this process."""
    if trust:
        os.environ[TRUST_ENV] = '1'


def parse(parser: argparse.ArgumentParser, argv: Optional[Sequence[str]]) -> argparse.Namespace:
    """Parse ``argv`` and export ``LOCAL_RANK`` as mmdet's tools do."""
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args
