"""Export the whole detector (normalise + forward + decode + NMS) to ONNX.

The graph takes uint8 BGR images (B, 3, H, W) at the model input size, with a
dynamic batch, and returns padded dets (B, max_per_img, 5) and labels
(B, max_per_img); classes, input size and mean/std go into its metadata_props.
After writing, onnxruntime runs the file on synthetic steel pictures and the
detections must equal PyTorch's up to exact score ties, boxes within 1e-4 px.

Example:
    python tools/deployment/export_onnx.py configs/sdn_ssd_neu.py \\
        checkpoints/sdn_ssd_neu_20261126_120205-48f4e0af.pth work_dirs/sdn_ssd_neu.onnx
    python tools/test.py configs/sdn_ssd_neu.py work_dirs/sdn_ssd_neu.onnx --backend onnxruntime
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np
import torch

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.utils.cli import (DefaultsHelpFormatter, add_classes_arg,
                                           add_partial_load_arg, add_trust_arg, apply_trust,
                                           guard_checkpoint)
from mmdet_shuffledefect.utils.config_loading import load_config
from mmdet_shuffledefect.utils.tool_errors import fail, run_guarded


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('config', help='detector config')
    parser.add_argument('checkpoint', help='trained checkpoint (.pth)')
    parser.add_argument('out', help='the .onnx file to write')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset (>= 16)')
    parser.add_argument('--verify-batch', type=int, default=3,
                        help='images in the onnxruntime check after export (0: skip)')
    add_trust_arg(parser)
    add_classes_arg(parser)
    add_partial_load_arg(parser)
    return parser.parse_args(argv)


def verify(cfg, checkpoint, out, batch: int) -> str:
    """Run the file in onnxruntime and the model in PyTorch on ``batch`` steel-like
    pictures (the synthetic sample's: real-looking defects, not noise); refuse (exit 1)
    unless the detections are the same up to score ties, boxes within 1e-4 px."""
    import tempfile

    import cv2
    from mmdet.apis import init_detector

    from mmdet_shuffledefect.data_prep import write_neu_det
    from mmdet_shuffledefect.deployment import ExportableDetector, OnnxDetector
    from mmdet_shuffledefect.deployment.compare import compare_detections
    ort_model = OnnxDetector(out)
    wrapper = ExportableDetector(init_detector(cfg, checkpoint, device='cpu')).eval()
    height, width = ort_model.input_size
    with tempfile.TemporaryDirectory() as tmp:
        write_neu_det(tmp, num_images=batch, seed=0)
        folder = osp.join(tmp, 'IMAGES')
        images = np.stack([cv2.resize(cv2.imread(osp.join(folder, n)), (width, height))
                           .transpose(2, 0, 1) for n in sorted(os.listdir(folder))[:batch]])
    with torch.no_grad():
        want_dets, want_labels = (t.numpy() for t in wrapper(torch.from_numpy(images)))
    got_dets, got_labels = ort_model(images)
    ties, worst = 0, 0.0
    for i in range(len(images)):
        g, w = got_labels[i] >= 0, want_labels[i] >= 0
        result = compare_detections(got_dets[i][g, :4], got_dets[i][g, 4], got_labels[i][g],
                                    want_dets[i][w, :4], want_dets[i][w, 4], want_labels[i][w],
                                    max_per_img=got_dets.shape[1])
        if not result['same']:
            fail(f'onnxruntime disagrees with PyTorch on {out}, picture {i}: '
                 f'{result["message"]}', code=1)
        ties, worst = ties + result['ties'], max(worst, result['max_box_diff'])
    return (f'same detections on {len(images)} synthetic steel pictures (boxes within '
            f'{worst:.1e} px; {ties} detections in exact score ties)')


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
        print('onnxruntime vs PyTorch: ' + verify(cfg, args.checkpoint, args.out,
                                                  args.verify_batch))
    return 0


if __name__ == '__main__':
    sys.exit(main())
