"""An inspection station for the line: watch the folder the camera writes into, inspect
every picture once it is complete, and record it in an SQLite database.

Every picture is inspected once: a restarted station (after Ctrl-C, a crash or a power
cut) skips the pictures whose content is already recorded for this model and inspects
the rest. One transaction per batch: a killed station leaves nothing half-written.
Ctrl-C (or SIGTERM) stops after the batch in hand. The terminal shows pictures done,
the backlog and img/s; ``tools/inspection_report.py DB`` turns the database into a page.

Example:
    python tools/inspection_station.py configs/sdn_ssd_neu.py CKPT --watch /line/camera1 \\
        --db line1.sqlite
    python tools/inspection_station.py configs/sdn_ssd_neu.py sdn.onnx --watch /line/camera1 \\
        --db line1.sqlite --backend openvino --batch-size 32
"""
import argparse
import json
import os.path as osp
import sys

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.utils.cli import (DefaultsHelpFormatter, add_backend_args, apply_trust,
                                           check_backend_args, fail)
from mmdet_shuffledefect.utils.inspection_cli import (add_score_thr_arg, check_db_path,
                                                      check_score_thr_arg, resolve_score_thr,
                                                      load_inspection_backend,
                                                      open_results_db, runtime_of, tile_arg)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a number of seconds, got {text!r}')
    if value < 0:
        raise argparse.ArgumentTypeError(f'expected seconds >= 0, got {value}')
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description='Watch a camera folder, inspect every picture once, record it in SQLite')
    parser.add_argument('config', help='detector config')
    parser.add_argument('checkpoint',
                        help='trained checkpoint (.onnx with --backend onnxruntime/openvino)')
    parser.add_argument('--watch', required=True, metavar='DIR',
                        help='the folder the camera writes into (not its subfolders)')
    parser.add_argument('--db', required=True, metavar='FILE.sqlite',
                        help='the results database (created when missing; several stations '
                        'watching other folders may share it)')
    add_score_thr_arg(parser)
    parser.add_argument('--batch-size', type=int, default=32,
                        help='most pictures per forward pass and per transaction (a backlog '
                        'goes in full batches, a slow line in small ones)')
    parser.add_argument('--settle', type=positive_float, default=0.25,
                        help='seconds a picture must stay unchanged before it is taken (a '
                        'camera that writes in place); names ending .tmp/.part are never '
                        'taken, so write-then-rename cameras are safe at any value')
    parser.add_argument('--empty-settle', type=positive_float, default=2.0,
                        help='seconds a zero-byte file may take to grow before it is '
                        'recorded as unreadable')
    parser.add_argument('--poll-interval', type=positive_float, default=0.1,
                        help='seconds between looks at an idle folder')
    parser.add_argument('--stop-when-idle', type=positive_float, metavar='SECONDS',
                        help='stop once nothing arrived for this long and the backlog is '
                        'empty (default: run until Ctrl-C)')
    parser.add_argument('--max-images', type=int, help='stop after recording this many')
    parser.add_argument('--tile-size', type=tile_arg, default='auto',
                        help="'auto': only line-scan strips (a side over 3x the model input) "
                        'are tiled; N: pictures with a side over N px tiled; 0: never')
    parser.add_argument('--tile-overlap', type=int, default=64, help='tile overlap (px)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda:0 (PyTorch backend)')
    parser.add_argument('--threads', type=int,
                        help='CPU threads of the backend (default: the runtime\'s own)')
    add_backend_args(parser)
    parser.add_argument('--no-progress', action='store_true', help='no status line')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='unpickle the checkpoint fully (only for files you trust)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    check_backend_args(args)
    apply_trust(args.trust_checkpoint)
    for path, what in ((args.config, 'config'), (args.checkpoint, 'checkpoint')):
        if not osp.isfile(path):
            fail(f'{what} {path} does not exist')
    check_db_path(args.db)
    if not osp.isdir(args.watch):
        fail(f'--watch {args.watch} does not exist or is not a folder')
    check_score_thr_arg(args)
    if args.batch_size < 1:
        fail(f'--batch-size must be >= 1, got {args.batch_size}')
    if args.poll_interval <= 0:
        fail(f'--poll-interval must be > 0 s, got {args.poll_interval}')
    if args.threads is not None and args.threads < 1:
        fail(f'--threads must be >= 1, got {args.threads}')
    if args.max_images is not None and args.max_images < 1:
        fail(f'--max-images must be >= 1, got {args.max_images}')

    from mmdet_shuffledefect.apis.station import InspectionStation, StationLock
    lock = StationLock(args.db, args.watch)
    try:  # before the model loads: a second station is refused at once
        lock.acquire()
    except RuntimeError as err:
        fail(str(err), code=1)
    model = load_inspection_backend(args)
    resolve_score_thr(args, model)
    db = open_results_db(args, model)
    runtime = runtime_of(model)
    print(f'station: watching {osp.abspath(args.watch)} -> {args.db} ({runtime}, score >= '
          f'{args.score_thr_text} from {args.score_thr_source}, batch {args.batch_size}); '
          'Ctrl-C stops after the current batch',
          flush=True)
    station = InspectionStation(model, db, args.watch, score_thr=args.thresholds,
                                batch_size=args.batch_size, tile_size=args.tile_size,
                                tile_overlap=args.tile_overlap,
                                poll_interval=args.poll_interval, settle=args.settle,
                                empty_settle=args.empty_settle,
                                progress=not args.no_progress)
    try:
        stats = station.run(stop_when_idle=args.stop_when_idle, max_images=args.max_images)
    finally:
        counts = db.counts()
        db.close()
        lock.release()
    stats['runtime'] = runtime
    stats['database'] = dict(counts, path=osp.abspath(args.db))
    print(json.dumps(stats, indent=1), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
