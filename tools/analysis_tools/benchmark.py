"""FPS of a detector's backbone alone and of the whole detector, on CPU or CUDA.

The whole-detector time covers preprocessing, forward and NMS
(``inference_detector`` on a real-size image). mmdet's own benchmark is
CUDA-only; this one runs on the CPU too. With ``--device cuda`` on a machine
whose mmcv lacks CUDA ops, NMS cannot run there: the backbone, neck and head
forward are timed instead and the table says so.

Example:
    python tools/analysis_tools/benchmark.py configs/sdn_ssd_neu.py --threads 2
    python tools/analysis_tools/benchmark.py CONFIG --checkpoint CKPT --batch-size 8 --fuse-conv-bn
"""
import argparse
import sys

import numpy as np
import torch

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.apis.benchmark import environment_info, median_latency_ms
from mmdet_shuffledefect.apis.cli import fail, load_config


def mmcv_has_cuda_ops() -> bool:
    try:
        from mmcv.ops import nms
        boxes = torch.tensor([[0., 0., 1., 1.]], device='cuda')
        nms(boxes, torch.ones(1, device='cuda'), 0.5)
        return True
    except Exception:  # noqa: BLE001  (any failure means no usable CUDA op)
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='weights (random init when omitted)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=None, help='CPU threads')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--image-size', type=int, default=200, help='input image side (px)')
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--repeats', type=int, default=30)
    parser.add_argument('--fuse-conv-bn', action='store_true')
    args = parser.parse_args(argv)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        fail(f'--device {args.device} requested but CUDA is not available')
    if args.batch_size < 1:
        fail(f'--batch-size must be >= 1, got {args.batch_size}')
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    from mmdet.apis import inference_detector, init_detector
    model = init_detector(cfg, args.checkpoint, device=args.device)
    if args.fuse_conv_bn:
        from mmcv.cnn import fuse_conv_bn
        model = fuse_conv_bn(model)
    size = int(cfg.get('input_size', 192))
    x = torch.rand(args.batch_size, 3, size, size, device=args.device)
    imgs = [np.random.randint(0, 255, (args.image_size, args.image_size, 3), np.uint8)
            for _ in range(args.batch_size)]
    rows = [('backbone', median_latency_ms(lambda: model.backbone(x), args.warmup,
                                           args.repeats, args.device))]
    full_ok = not args.device.startswith('cuda') or mmcv_has_cuda_ops()
    if full_ok:
        rows.append(('whole detector (preprocess + forward + NMS)', median_latency_ms(
            lambda: inference_detector(model, imgs if args.batch_size > 1 else imgs[0]),
            args.warmup, args.repeats, args.device)))
    else:
        rows.append(('backbone + neck + head forward (no NMS: mmcv lacks CUDA ops)',
                     median_latency_ms(lambda: model._forward(x), args.warmup, args.repeats,
                                       args.device)))
    env = environment_info()
    print(f'device {args.device}, batch {args.batch_size}, threads {torch.get_num_threads()}, '
          f'fuse_conv_bn {args.fuse_conv_bn}, median of {args.repeats} after {args.warmup} '
          f'warm-up')
    print(f'| part | ms / batch | ms / image | FPS |\n|---|---|---|---|')
    for name, ms in rows:
        print(f'| {name} | {ms:.2f} | {ms / args.batch_size:.2f} | '
              f'{1000 * args.batch_size / ms:.1f} |')
    print('environment: ' + ', '.join(f'{k} {v}' for k, v in env.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
