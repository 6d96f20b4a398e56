"""INT8 post-training quantization of an exported whole detector (NNCF), with its val mAP.

Convolutions get INT8 (per-channel weights), calibrated on ``--calib-images`` images of
the config's **training** split (any other split is refused); the stem and the head's
convolutions (``--keep-float``), normalisation, box decoding and NMS stay float. The FP32 and the INT8 file are both evaluated on the val split
(onnxruntime) and the two mAPs go into the INT8 file's metadata with the calibration set
and the versions; a drop of more than ``--max-drop`` is warned about. Run the result with
``--backend onnxruntime|openvino --precision int8``.

Example:
    python tools/deployment/quantize.py configs/sdn_ssd_neu.py sdn.onnx sdn_int8.onnx
    python tools/test.py configs/sdn_ssd_neu.py sdn_int8.onnx --backend openvino --precision int8
"""
import argparse
import json
import os.path as osp
import sys

HERE = osp.dirname(osp.abspath(__file__))

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.deployment.quantize import DEFAULT_KEEP_FLOAT
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_data_args
from mmdet_shuffledefect.utils.config_loading import load_config
from mmdet_shuffledefect.utils.tool_errors import fail, run_guarded


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('config', help='detector config (its train and val splits)')
    parser.add_argument('model', help='the FP32 .onnx of tools/deployment/export_onnx.py')
    parser.add_argument('out', help='the INT8 .onnx to write')
    parser.add_argument('--calib-split', default='train',
                        help='split the calibration images come from (train only)')
    parser.add_argument('--calib-images', type=int, default=200,
                        help='calibration images, spread over the split')
    parser.add_argument('--max-drop', type=float, default=0.01,
                        help='warn when val mAP@0.5 drops by more than this')
    parser.add_argument('--keep-float', nargs='*', default=list(DEFAULT_KEEP_FLOAT),
                        metavar='REGEX',
                        help="node names (the exported graph's) whose convolutions stay float; "
                        'the default keeps the stem and the head; give none to quantize all')
    parser.add_argument('--no-eval', action='store_true', help='skip the val mAP of both')
    add_data_args(parser)
    return parser.parse_args(argv)


def val_map(cfg, path: str, precision: str) -> float:
    """val mAP@0.5 of an exported file (onnxruntime), the config's test pipeline on val."""
    from mmdet_shuffledefect.deployment.evaluate import evaluate_onnx
    from mmdet_shuffledefect.utils.config_data import test_on_val
    val = test_on_val(cfg)
    label = {'f32': 'FP32 (the input model)', 'int8': 'INT8 (the quantized model)'}[precision]
    # mmdet's evaluator prints its per-class table below this line
    print(f'val split, {label}: {path}', flush=True)
    metrics = evaluate_onnx(val, path, progress=False, precision=precision)
    return float(metrics['pascal_voc/mAP'])


def main(argv=None) -> int:
    args = parse_args(argv)
    for path, what in ((args.config, 'config'), (args.model, 'model')):
        if not osp.isfile(path):
            fail(f'{what} {path} does not exist')
    if not args.out.endswith('.onnx'):
        fail(f'the output must be a .onnx file, got {args.out}')
    if args.calib_images < 1:
        fail(f'--calib-images must be >= 1, got {args.calib_images}')
    cfg = load_config(args.config, None, args.data_root, args.classes)
    from mmdet_shuffledefect.deployment import OnnxDetector
    from mmdet_shuffledefect.deployment.quantize import (calibration_batches,
                                                         calibration_stems, quantize_onnx)
    try:
        stems = calibration_stems(cfg, args.calib_split)
        source = OnnxDetector(args.model)
        if source.precision != 'f32':
            raise ValueError(f'{args.model} is already {source.precision}')
        source.check_config(cfg)
        batches = calibration_batches(cfg, stems, source.input_size, args.calib_images)
    except ValueError as err:
        fail(str(err), code=2 if 'training split only' in str(err) else 1)
    except FileNotFoundError as err:
        fail(str(err), code=1)
    print(f'calibrating on {len(batches)} of {len(stems)} training images', flush=True)
    extra = dict(calibration=json.dumps(dict(split=args.calib_split, images=len(batches),
                                             of=len(stems), first=stems[0])),
                 fp32_model=osp.basename(args.model))
    meta = run_guarded(lambda: quantize_onnx(args.model, args.out, batches, extra,
                                             args.keep_float))
    if not args.no_eval:
        before = run_guarded(lambda: val_map(cfg, args.model, 'f32'))
        after = run_guarded(lambda: val_map(cfg, args.out, 'int8'))
        import onnx
        proto = onnx.load(args.out)
        meta.update(val_map_fp32=f'{before:.4f}', val_map_int8=f'{after:.4f}')
        del proto.metadata_props[:]
        onnx.helper.set_model_props(proto, meta)
        onnx.save(proto, args.out)
        print(f'val mAP@0.5: FP32 {before:.4f}, INT8 {after:.4f} ({after - before:+.4f})')
        if before - after > args.max_drop:
            print(f'WARNING: INT8 loses {before - after:.4f} val mAP (more than --max-drop '
                  f'{args.max_drop}); check the per-class AP with tools/test.py before use',
                  file=sys.stderr)
    print(f'wrote {args.out} (precision int8: convolutions; decoding and NMS float)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
