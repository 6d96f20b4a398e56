"""What the inspection tools share (``tools/inspect_defects.py``,
``tools/inspection_station.py``): the model in the chosen backend and its results
database, each with a clear message and exit code where they cannot be opened."""
import os.path as osp

from mmdet_shuffledefect.utils.cli import fail, run_guarded


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
        from mmdet_shuffledefect.apis import init_inspection_model
        # the classes (and num_classes) come from the checkpoint's meta.dataset_meta
        return run_guarded(lambda: init_inspection_model(
            args.config, args.checkpoint, args.device,
            partial_load=getattr(args, 'partial_load', False)))
    from mmengine.config import Config

    from mmdet_shuffledefect.deployment import load_exported
    from mmdet_shuffledefect.utils.config_data import set_classes
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


def check_db_path(db: str) -> None:
    """Refuse a database URL (exit 2): the record is an SQLite file; a server
    (``postgresql://...``) is not supported yet."""
    if '://' in db:
        fail(f'--db {db}: database servers are not supported yet; give an SQLite file path '
             '(e.g. line1.sqlite; one file per line, the reports read each)')


def open_results_db(args, model):
    """The results database ``args.db`` for this model: config, weights (by content),
    backend, precision and score threshold. Exits 1 where the file is not one."""
    from mmdet_shuffledefect.apis.results_db import ResultsDB, sha256_file
    check_db_path(args.db)
    runtime = model.describe() if hasattr(model, 'describe') else 'pytorch, precision f32'
    try:
        return ResultsDB(args.db, dict(
            config=osp.abspath(args.config), weights_sha256=sha256_file(args.checkpoint),
            backend=runtime.split(',')[0], precision=args.precision,
            score_thr=float(args.score_thr)))
    except ValueError as err:
        fail(str(err), code=1)


__all__ = ['check_db_path', 'load_inspection_backend', 'open_results_db']
