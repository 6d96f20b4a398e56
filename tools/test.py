"""Evaluate a checkpoint on a config's test set (mmdet's flags).

Example:
    python tools/test.py configs/sdn_ssd_neu.py work_dirs/sdn_ssd_neu/best_pascal_voc_mAP_epoch_60.pth
    python tools/test.py CONFIG CKPT --out results.pkl --show-dir vis
    python tools/test.py CONFIG model.onnx --backend onnxruntime   # tools/deployment/export_onnx.py
    python tools/test.py CONFIG model.onnx --backend openvino --precision bf16
    python tools/test.py CONFIG CKPT --tta --tta-flips none horizontal vertical --split val
"""
import argparse
import os
import os.path as osp
import sys

import mmdet_shuffledefect  # noqa: F401  (registers modules, safe checkpoint loader)
from mmdet_shuffledefect.utils.cli import (DefaultsHelpFormatter, add_backend_args, add_common_args,
                                           add_data_args, add_input_size_arg, add_partial_load_arg,
                                           apply_input_size, apply_trust, check_backend_args,
                                           guard_checkpoint, parse)
from mmdet_shuffledefect.utils.config_loading import default_work_dir, load_config
from mmdet_shuffledefect.utils.runner_setup import build_runner, setup_launcher
from mmdet_shuffledefect.utils.tool_errors import fail, run_guarded
from mmdet_shuffledefect.utils.tta import DEFAULT_FLIPS, FLIPS, set_tta
from mmdet_shuffledefect.utils.work_dir import stale_best_warning


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description='Test (evaluate) a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint',
                        help='checkpoint file (.onnx with --backend onnxruntime/openvino)')
    add_backend_args(parser)
    parser.add_argument('--out', help='dump the raw predictions to this .pkl file')
    parser.add_argument('--show-dir', help='write drawn predictions under work_dir/SHOW_DIR')
    add_input_size_arg(parser)
    parser.add_argument('--split', choices=('test', 'val'), default='test',
                        help='evaluate the config\'s test split, or its val split (to choose '
                        'settings such as --tta without reading the test split)')
    parser.add_argument('--tta', action='store_true',
                        help='test-time augmentation: predict every picture at --tta-sizes x '
                        '--tta-flips and merge the boxes with the model\'s NMS (mmdet\'s '
                        'DetTTAModel; a config\'s own tta_model/tta_pipeline are used as written)')
    parser.add_argument('--tta-sizes', type=int, nargs='+', metavar='PX',
                        help='input sizes of the TTA views (default: the config\'s own)')
    parser.add_argument('--tta-flips', nargs='+', choices=sorted(FLIPS),
                        help=f'flips of the TTA views (default: {" ".join(DEFAULT_FLIPS)})')
    add_data_args(parser)
    add_partial_load_arg(parser)
    add_common_args(parser)
    return parse(parser, argv)


def test_exported(args, cfg) -> int:
    """Evaluate an exported ONNX detector on the config's test set with onnxruntime or
    OpenVINO (CPU), at the precision asked for; the precision that ran is printed."""
    backend = args.backend
    if not args.checkpoint.endswith('.onnx'):
        fail(f'--backend {backend} needs a .onnx file, got {args.checkpoint}')
    if args.launcher != 'none' or args.out or args.show_dir:
        fail(f'--backend {backend} supports neither --launcher, --out nor --show-dir')
    from mmdet_shuffledefect.deployment.evaluate import evaluate_onnx
    try:
        metrics = run_guarded(lambda: evaluate_onnx(cfg, args.checkpoint, backend=backend,
                                                    precision=args.precision))
    except (ValueError, ImportError) as err:
        fail(str(err), code=1)
    print(f'{backend} (precision {args.precision}) '
          + '  '.join(f'{k}: {v:.4f}' for k, v in metrics.items()))
    # --work-dir as with the PyTorch backend: the metrics, with what produced them
    import json
    from mmdet_shuffledefect.utils.env import environment_info
    work_dir = args.work_dir or cfg.get('work_dir') or default_work_dir(args.config)
    os.makedirs(work_dir, exist_ok=True)
    name = ('onnxruntime_metrics.json' if (backend, args.precision) == ('onnxruntime', 'f32')
            else f'{backend}_{args.precision}_metrics.json')
    if args.split != 'test':
        name = f'{args.split}_{name}'
    path = osp.join(work_dir, name)
    with open(path, 'w') as f:
        json.dump(dict(config=args.config, onnx=args.checkpoint, split=args.split,
                       backend=backend,
                       precision=args.precision, metrics=metrics,
                       environment=environment_info()), f, indent=1)
    print(f'metrics written to {path}')
    return 0


def main(argv=None) -> None:
    args = parse_args(argv)
    check_backend_args(args)
    apply_trust(args.trust_checkpoint)
    if not osp.isfile(args.checkpoint):
        fail(f'checkpoint {args.checkpoint} does not exist')
    cfg = load_config(args.config, args.cfg_options, args.data_root, args.classes)
    apply_input_size(cfg, args.input_size)
    if args.split == 'val':
        from mmdet_shuffledefect.utils.config_data import test_on_val
        try:
            cfg = test_on_val(cfg, args.cfg_options)
        except ValueError as err:
            fail(f'--split val: {err}')
        print('evaluating the val split (--split val)', flush=True)
    if (args.tta_sizes or args.tta_flips) and not args.tta:
        fail('--tta-sizes/--tta-flips need --tta')
    if args.backend != 'pytorch':
        if args.tta:
            fail(f'--tta runs on the PyTorch backend only, not --backend {args.backend}')
        return test_exported(args, cfg)
    if args.tta:
        try:
            print(set_tta(cfg, args.tta_sizes, args.tta_flips), flush=True)
        except ValueError as err:
            fail(f'--tta: {err} ({args.config})')
    guard_checkpoint(args, cfg, args.checkpoint, classes_win=False)
    stale = stale_best_warning(args.checkpoint)
    if stale:
        print(f'warning: {stale}', file=sys.stderr, flush=True)
    setup_launcher(cfg, args.launcher)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or default_work_dir(args.config)
    cfg.load_from = args.checkpoint
    cfg.resume = False

    if args.out:
        if not args.out.endswith(('.pkl', '.pickle')):
            fail(f'--out must name a .pkl or .pickle file, got {args.out}')
        dump = dict(type='DumpResults', out_file_path=args.out)
        if cfg.get('default_scope', 'mmdet') == 'mmdet':
            dump = dict(type='DumpDetResults', out_file_path=args.out)
        evaluators = cfg.test_evaluator
        cfg.test_evaluator = (list(evaluators) if isinstance(evaluators, (list, tuple))
                              else [evaluators]) + [dump]
    if args.show_dir:
        vis = cfg.default_hooks.get('visualization')
        if vis is None:
            fail(f'--show-dir needs default_hooks.visualization in {args.config}')
        vis.draw = True
        vis.test_out_dir = args.show_dir

    run_guarded(lambda: build_runner(cfg, args.verbose).test())


if __name__ == '__main__':
    sys.exit(main())
