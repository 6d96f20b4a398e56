"""Inspect steel images with a trained detector: per-image defect reports.

Writes report.json, report.csv (one row per defect: class, score, box, area in
px^2 and % of the image), summary.json (counts per class, defective vs clean
images, unreadable files) and annotated images. Large images (line-scan
strips) are tiled with overlap; detections are merged across tiles.

Example:
    python tools/inspect_defects.py configs/sdn_ssd_neu.py best.pth images/ --out-dir report
    python tools/inspect_defects.py CONFIG CKPT strip.png --tile-size 200 --tile-overlap 64
    python tools/inspect_defects.py CONFIG CKPT images/ --batch-size 32
    python tools/inspect_defects.py CONFIG model.onnx images/ --backend onnxruntime --batch-size 32
    python tools/inspect_defects.py CONFIG model.onnx images/ --backend openvino --batch-size 32
"""
import argparse
import json
import os.path as osp
import sys

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.inspection.cli import (add_score_thr_arg, check_db_path,
                                                check_score_thr_arg, load_inspection_backend,
                                                open_results_db, resolve_score_thr, tile_arg)
from mmdet_shuffledefect.utils.cli import (DefaultsHelpFormatter, add_backend_args, add_trust_arg,
                                           apply_trust, check_backend_args)
from mmdet_shuffledefect.utils.tool_errors import fail


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description='Per-image steel defect reports')
    parser.add_argument('config', help='detector config')
    parser.add_argument('checkpoint',
                        help='trained checkpoint (.onnx with --backend onnxruntime/openvino)')
    parser.add_argument('input', help='an image, a video, or a folder of them')
    parser.add_argument('--out-dir', default='inspection',
                        help='where the reports go; a folder holding a report is refused '
                        'unless --overwrite')
    parser.add_argument('--overwrite', action='store_true',
                        help="replace the report already in --out-dir (only the report's "
                        'own files are removed)')
    add_score_thr_arg(parser)
    parser.add_argument('--tile-size', type=tile_arg, default='auto',
                        help='auto (default): every picture resized whole as in training, '
                        'unless its side is over 3x the model input (a line-scan strip): then '
                        'tiles of the input side, said in the summary; N: pictures with a side '
                        'over N px cut into N-px tiles; 0: never tile')
    parser.add_argument('--tile-overlap', type=int, default=64, help='tile overlap (px)')
    parser.add_argument('--video-every', type=int, default=1, help='inspect every Nth frame')
    parser.add_argument('--device', default='cpu', help='cpu or cuda:0')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='images (or tiles) per forward pass; reports do not depend on it')
    add_backend_args(parser)
    parser.add_argument('--db', metavar='FILE.sqlite',
                        help='also record every image (by content), its defects and the model '
                        'in this SQLite file, one transaction per batch; images it already '
                        'holds for the same model, backend, precision and --score-thr are '
                        'skipped')
    parser.add_argument('--no-images', action='store_true', help='skip annotated images')
    parser.add_argument('--partial-load', action='store_true',
                        help='load only the checkpoint tensors that fit the config (default: '
                        'a checkpoint that does not fit is refused)')
    add_trust_arg(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    check_backend_args(args)
    apply_trust(args.trust_checkpoint)
    for path, what in ((args.config, 'config'), (args.checkpoint, 'checkpoint')):
        if not osp.isfile(path):
            fail(f'{what} {path} does not exist')
    check_score_thr_arg(args)
    if args.batch_size < 1:
        fail(f'--batch-size must be >= 1, got {args.batch_size}')
    if args.db:
        check_db_path(args.db)
    from mmdet_shuffledefect.apis import inspect_paths, list_inputs
    try:
        paths = list_inputs(args.input)
    except FileNotFoundError as err:
        fail(str(err))
    if not paths:
        fail(f'no image or video in {args.input}', code=1)
    from mmdet_shuffledefect.inspection import prepare_out_dir
    try:  # before the model loads: a wrong --out-dir costs nothing
        prepare_out_dir(args.out_dir, args.overwrite)
    except FileExistsError as err:
        fail(str(err))
    model = load_inspection_backend(args)
    resolve_score_thr(args, model)
    print(f'score threshold: {args.score_thr_text} ({args.score_thr_source})', flush=True)
    db = open_results_db(args, model) if args.db else None
    summary = inspect_paths(model, paths, args.out_dir, score_thr=args.thresholds,
                            tile_size=args.tile_size, tile_overlap=args.tile_overlap,
                            video_every=args.video_every, save_images=not args.no_images,
                            batch_size=args.batch_size, overwrite=args.overwrite, db=db,
                            score_thr_source=args.score_thr_source)
    print(json.dumps(summary, indent=1))
    print(f'tiling: {summary["tiling"]}' + (f' ({len(summary["tiled_images"])} tiled)'
                                           if summary['tiled_images'] else ''))
    print(f'runtime: {summary["runtime"]}')
    if db is not None:
        counts = db.counts()
        print(f'database {args.db}: {counts["images"]} images, {counts["detections"]} '
              f'detections for this model; {len(summary["skipped_recorded"])} images skipped '
              '(recorded before)')
        db.close()
    print(f'reports written to {osp.abspath(args.out_dir)}')
    # nothing readable is a data error, unless everything was recorded before
    return 1 if summary['images_read'] == 0 and not summary['skipped_recorded'] else 0


if __name__ == '__main__':
    sys.exit(main())
