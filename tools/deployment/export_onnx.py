"""Export the whole detector (normalise + forward + decode + NMS) to ONNX.

The graph takes uint8 BGR images (B, 3, H, W) at the model input size, with a
dynamic batch, and returns padded dets (B, max_per_img, 5) and labels
(B, max_per_img); classes, input size and mean/std go into its metadata_props.
After writing, onnxruntime runs the file on random images and the detections
are compared with PyTorch's.

Example:
    python tools/deployment/export_onnx.py configs/sdn_ssd_neu.py \\
        checkpoints/sdn_ssd_neu-f5992708.pth work_dirs/sdn_ssd_neu.onnx
    python tools/test.py configs/sdn_ssd_neu.py work_dirs/sdn_ssd_neu.onnx --backend onnxruntime
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np
import torch

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.utils.cli import (add_classes_arg, add_partial_load_arg, apply_trust,
                                           fail, guard_checkpoint, load_config, run_guarded)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='detector config')
    parser.add_argument('checkpoint', help='trained checkpoint (.pth)')
    parser.add_argument('out', help='the .onnx file to write')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset (>= 16)')
    parser.add_argument('--verify-batch', type=int, default=3,
                        help='images in the onnxruntime check after export (0: skip)')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='unpickle the checkpoint fully (only for files you trust)')
    add_classes_arg(parser)
    add_partial_load_arg(parser)
    return parser.parse_args(argv)


def verify(cfg, checkpoint, out, batch: int) -> float:
    """Largest |PyTorch - onnxruntime| over the dets of ``batch`` random images."""
    from mmdet.apis import init_detector

    from mmdet_shuffledefect.deployment import ExportableDetector, OnnxDetector
    ort_model = OnnxDetector(out)
    wrapper = ExportableDetector(init_detector(cfg, checkpoint, device='cpu')).eval()
    height, width = ort_model.input_size
    images = np.random.default_rng(0).integers(0, 256, (batch, 3, height, width), np.uint8)
    with torch.no_grad():
        want_dets, want_labels = (t.numpy() for t in wrapper(torch.from_numpy(images)))
    got_dets, got_labels = ort_model(images)
    if got_dets.shape != want_dets.shape or (got_labels != want_labels).mean() > 0.02:
        fail(f'onnxruntime disagrees with PyTorch on {out}: labels differ in '
             f'{(got_labels != want_labels).mean():.1%} of the slots', code=1)
    same = got_labels == want_labels
    return float(np.abs(got_dets - want_dets)[same].max()) if same.any() else 0.0


def main(argv=None) -> int:
    args = parse_args(argv)
    apply_trust(args.trust_checkpoint)
    if not osp.isfile(args.checkpoint):
        fail(f'checkpoint {args.checkpoint} does not exist')
    if not args.out.endswith('.onnx'):
        fail(f'the output must be a .onnx file, got {args.out}')
    if args.opset < 16:
        fail(f'--opset must be >= 16 (ScatterElements with add), got {args.opset}')
    cfg = load_config(args.config, classes=args.classes)
    guard_checkpoint(args, cfg, args.checkpoint, classes_win=True)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    from mmdet_shuffledefect.deployment import export_onnx
    try:
        meta = run_guarded(lambda: export_onnx(cfg, args.checkpoint, args.out, args.opset,
                                               osp.basename(args.config)))
    except ValueError as err:
        fail(str(err), code=1)
    print(f'wrote {args.out} ({osp.getsize(args.out) / 1e6:.1f} MB); metadata: {meta}')
    if args.verify_batch > 0:
        diff = verify(cfg, args.checkpoint, args.out, args.verify_batch)
        print(f'onnxruntime vs PyTorch on {args.verify_batch} random images: same labels, '
              f'max |dets difference| {diff:.2e}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
