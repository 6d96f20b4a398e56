"""What the inspection tools share (``tools/inspect_defects.py``,
``tools/inspection_station.py``): the model in the chosen backend and its results
database, each with a clear message and exit code where they cannot be opened."""
import argparse
import os.path as osp

from mmengine.config import Config

from mmdet_shuffledefect.deployment import load_exported
from mmdet_shuffledefect.utils.file_hash import sha256_file
from mmdet_shuffledefect.utils.tool_errors import fail, run_guarded
from mmdet_shuffledefect.utils.config_data import set_classes
from mmdet_shuffledefect.utils.score_thresholds import (DEFAULT_SCORE_THR, describe, is_uniform,
                                                        resolve)

from .db_dialects import DatabaseFault, dialect_for, is_url
from .predict import init_inspection_model
from .results_db import ResultsDB


def load_inspection_backend(args):
    """The detector of ``args.config`` / ``args.checkpoint`` in ``args.backend``:
    an mmdet model (PyTorch) or the exported ``.onnx`` file in onnxruntime or OpenVINO,
    checked against the config (classes, input size). Exits 2 on a wrong file kind, 1 on
    a file that does not load. ``args.threads`` (when given and set) caps the CPU threads
    of any backend."""
    threads = getattr(args, 'threads', None)
    if args.backend == 'pytorch':
        if threads:
            import torch
            torch.set_num_threads(threads)
        # the classes (and num_classes) come from the checkpoint's meta.dataset_meta
        return run_guarded(lambda: init_inspection_model(
            args.config, args.checkpoint, args.device,
            partial_load=getattr(args, 'partial_load', False)))
    if not args.checkpoint.endswith('.onnx'):
        fail(f'--backend {args.backend} needs a .onnx file, got {args.checkpoint}')
    try:
        model = load_exported(args.checkpoint, args.backend, threads=threads,
                              precision=args.precision)
        cfg = Config.fromfile(args.config)
        set_classes(cfg, model.classes)
        model.check_config(cfg)
    except (ValueError, ImportError) as err:
        fail(str(err), code=1)
    return model


def add_score_thr_arg(parser: argparse.ArgumentParser) -> None:
    """``--score-thr``: one threshold for every class, over the checkpoint's and config's."""
    parser.add_argument('--score-thr', type=float, default=None,
                        help='minimum score, the same for every class; unset, the '
                        "config's inspection_score_thr where it fits the model's classes, "
                        'else the per-class thresholds the checkpoint carries (chosen on its '
                        f'val split), else {DEFAULT_SCORE_THR}')


def check_score_thr_arg(args) -> None:
    """Exit 2 on a ``--score-thr`` outside [0, 1] (before the model loads)."""
    if args.score_thr is not None and not 0 <= args.score_thr <= 1:
        fail(f'--score-thr must be in [0, 1], got {args.score_thr}')


def resolve_score_thr(args, model) -> None:
    """Set ``args.thresholds`` (one per class of ``model``), ``args.score_thr_text`` and
    ``args.score_thr_source`` by :func:`~mmdet_shuffledefect.utils.score_thresholds.resolve`:
    ``--score-thr``, else the config's ``inspection_score_thr`` where it fits the model's
    classes (one for other classes is set aside, said), else the thresholds the checkpoint
    (or exported file) carries, else the default. Exits 2 where
    thresholds the checkpoint carries do not fit its own classes."""
    from mmengine.config import Config
    classes = list(model.dataset_meta['classes'])
    config_value = Config.fromfile(args.config).get('inspection_score_thr')
    try:
        args.thresholds, args.score_thr_source = resolve(
            classes, given=args.score_thr, config_value=config_value,
            carried=getattr(model, 'inspection_score_thr', None),
            config_name=args.config, checkpoint_name=args.checkpoint)
    except ValueError as err:
        fail(f'{err}; give --score-thr for the classes of this model')
    args.score_thr_text = describe(args.thresholds, classes)


def tile_arg(text: str):
    """``--tile-size``: 'auto' or a non-negative int."""
    if text == 'auto':
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number of px, got {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError(f'expected a number of px >= 0, got {value}')
    return value


def check_db_path(db: str) -> None:
    """Refuse a database name that is neither an SQLite file path nor a
    ``postgresql://`` URL (exit 2), and a URL when psycopg 3 is missing. The tools call
    it before the model loads."""
    try:
        dialect_for(db)
    except ValueError as err:
        fail(f'--db {err}')
    if is_url(db):
        try:
            import psycopg  # noqa: F401 -- the optional PostgreSQL driver
        except ImportError:
            fail(f'--db {db}: a PostgreSQL database needs psycopg 3 (pip install '
                 '"psycopg[binary]")')


def _db_score_thr(args):
    """The threshold as the results database names the model (after
    :func:`resolve_score_thr`): a number when one for every class, else the per-class text
    (``'crazing=0.2,...'``)."""
    return float(args.thresholds[0]) if is_uniform(args.thresholds) else args.score_thr_text


def runtime_of(model) -> str:
    """What runs the model and in which precision, e.g. ``'onnxruntime, precision f32'``."""
    return model.describe() if hasattr(model, 'describe') else 'pytorch, precision f32'


def open_results_db(args, model):
    """The results database ``args.db`` for this model: config, weights (by content),
    backend, precision and score threshold. Exits 1 where the file is not one."""
    runtime = runtime_of(model)
    try:
        return ResultsDB(args.db, dict(
            config=osp.abspath(args.config), weights_sha256=sha256_file(args.checkpoint),
            backend=runtime.split(',')[0], precision=args.precision,
            score_thr=_db_score_thr(args)), timeout=getattr(args, 'db_timeout', 30.0))
    except (ValueError, DatabaseFault) as err:
        fail(str(err), code=1)


__all__ = ['add_score_thr_arg', 'check_db_path', 'check_score_thr_arg', 'load_inspection_backend',
           'open_results_db', 'resolve_score_thr', 'runtime_of', 'tile_arg']
