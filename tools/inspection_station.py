"""An inspection station for the line: watch the folder the camera writes into, inspect
every picture once it is complete, and record it in an SQLite file or a PostgreSQL server.

Every arrival of a picture is inspected and recorded once, under its own name: a restarted
station (after Ctrl-C, a crash or a power cut) skips the arrivals already recorded for
this model and inspects the rest; a name the camera reuses is a new picture. One
transaction per batch: a killed station leaves nothing half-written. A database that
cannot be written now (locked, full, server down) is retried with backoff, said once.
Ctrl-C (or SIGTERM) stops after the batch in hand. The terminal shows pictures done,
the backlog and img/s; ``tools/inspection_report.py DB`` turns the database into a page.

Example:
    python tools/inspection_station.py configs/sdn_ssd_neu.py CKPT --watch /line/camera1 \\
        --db line1.sqlite
    python tools/inspection_station.py configs/sdn_ssd_neu.py sdn.onnx --watch /line/camera1 \\
        --db line1.sqlite --backend openvino --batch-size 32
    python tools/inspection_station.py configs/sdn_ssd_neu.py CKPT --watch /line/camera1 \\
        --db postgresql://qa@plant-db/inspection
"""
import argparse
import json
import os.path as osp
import sys

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.inspection.cli import (add_score_thr_arg, check_db_path,
                                                check_score_thr_arg, load_inspection_backend,
                                                open_results_db, resolve_score_thr, runtime_of,
                                                tile_arg)
from mmdet_shuffledefect.inspection.picture_files import (DEFAULT_MAX_PIXELS, DEFAULT_MIN_SIDE,
                                                          shown_name)
from mmdet_shuffledefect.utils.cli import (DefaultsHelpFormatter, add_backend_args, add_trust_arg,
                                           apply_trust, check_backend_args)
from mmdet_shuffledefect.utils.tool_errors import fail


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
        description='Watch a camera folder, inspect every picture once, record it in SQLite or '
        'PostgreSQL')
    parser.add_argument('config', help='detector config')
    parser.add_argument('checkpoint',
                        help='trained checkpoint (.onnx with --backend onnxruntime/openvino)')
    parser.add_argument('--watch', required=True, metavar='DIR',
                        help='the folder the camera writes into (not its subfolders)')
    parser.add_argument('--db', required=True, metavar='FILE.sqlite|postgresql://...',
                        help='the results database: an SQLite file (created when missing) or '
                        'a PostgreSQL URL (postgresql://user@host/db; one server for every '
                        'line); several stations watching other folders may share it')
    parser.add_argument('--db-timeout', type=positive_float, default=5.0,
                        help='seconds to wait for another writer\'s lock before a write '
                        'counts as failed (then retried with backoff)')
    add_score_thr_arg(parser)
    parser.add_argument('--batch-size', type=int, default=32,
                        help='most pictures per forward pass and per transaction (a backlog '
                        'goes in full batches, a slow line in small ones)')
    parser.add_argument('--settle', type=positive_float, default=0.25,
                        help='seconds a picture must stay unchanged before it is taken (a '
                        'camera that writes in place); names ending .tmp/.part are never '
                        'taken, so write-then-rename cameras are safe at any value')
    parser.add_argument('--write-timeout', type=positive_float, default=10.0,
                        help='seconds a picture still cut short (a camera writing in place) '
                        'is read again as it grows before it is recorded unreadable')
    parser.add_argument('--max-pixels', type=float, default=DEFAULT_MAX_PIXELS,
                        help='pictures with more pixels are refused from their header, '
                        'before decoding (a decompression bomb costs nothing)')
    parser.add_argument('--min-side', type=int, default=DEFAULT_MIN_SIDE,
                        help='pictures with a side under this many px are refused')
    parser.add_argument('--follow-links', action='store_true',
                        help='take symbolic links to pictures inside the watch folder (links '
                        'are never followed out of it; by default none is)')
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
    add_trust_arg(parser)
    return parser.parse_args(argv)


def check_args(args) -> None:
    """Exit with one message when a file, folder or number is wrong (before the model loads)."""
    for path, what in ((args.config, 'config'), (args.checkpoint, 'checkpoint')):
        if not osp.isfile(path):
            fail(f'{what} {path} does not exist')
    check_db_path(args.db)
    if not osp.isdir(args.watch):
        fail(f'--watch {shown_name(args.watch)} does not exist or is not a folder')
    check_score_thr_arg(args)
    if args.batch_size < 1:
        fail(f'--batch-size must be >= 1, got {args.batch_size}')
    if args.poll_interval <= 0:
        fail(f'--poll-interval must be > 0 s, got {args.poll_interval}')
    if args.threads is not None and args.threads < 1:
        fail(f'--threads must be >= 1, got {args.threads}')
    if args.max_pixels < 1:
        fail(f'--max-pixels must be >= 1, got {args.max_pixels:g}')
    if args.min_side < 1:
        fail(f'--min-side must be >= 1, got {args.min_side}')
    if args.max_images is not None and args.max_images < 1:
        fail(f'--max-images must be >= 1, got {args.max_images}')


def main(argv=None):
    args = parse_args(argv)
    check_backend_args(args)
    apply_trust(args.trust_checkpoint)
    check_args(args)

    from mmdet_shuffledefect.inspection.station import InspectionStation, StationLock
    from mmdet_shuffledefect.inspection.db_dialects import DatabaseFault
    lock = StationLock(args.db, args.watch)
    try:  # before the model loads: a second station is refused at once
        lock.acquire()
    except (RuntimeError, DatabaseFault, ValueError) as err:
        fail(str(err), code=1)
    model = load_inspection_backend(args)
    resolve_score_thr(args, model)
    db = open_results_db(args, model)
    runtime = runtime_of(model)
    print(f'station: watching {shown_name(osp.abspath(args.watch))} -> {db.dialect.describe()} '
          f'({runtime}, score >= '
          f'{args.score_thr_text} from {args.score_thr_source}, batch {args.batch_size}); '
          'Ctrl-C stops after the current batch',
          flush=True)
    station = InspectionStation(model, db, args.watch, score_thr=args.thresholds,
                                batch_size=args.batch_size, tile_size=args.tile_size,
                                tile_overlap=args.tile_overlap,
                                poll_interval=args.poll_interval, settle=args.settle,
                                empty_settle=args.empty_settle,
                                write_timeout=args.write_timeout,
                                max_pixels=int(args.max_pixels), min_side=args.min_side,
                                follow_links=args.follow_links,
                                progress=not args.no_progress)
    try:
        stats = station.run(stop_when_idle=args.stop_when_idle, max_images=args.max_images)
    finally:
        try:
            counts = db.counts()
        except Exception as err:  # noqa: BLE001 -- the database still down: said, not raised
            counts = dict(error=str(err).strip().splitlines()[0])
        db.close()
        lock.release()
    stats['runtime'] = runtime
    stats['database'] = dict(counts, path=db.dialect.describe() if '://' in args.db
                             else osp.abspath(args.db))
    print(json.dumps(stats, indent=1), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
