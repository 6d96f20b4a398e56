"""Where the batched post-processing's time goes, in ms per image, stage by stage.

For one ``CONFIG[:CHECKPOINT]`` (a ``FastSSDHead`` / ``FastRetinaHead`` config)
and one batch of steel pictures (``--images DIR``, else the synthetic sample's),
the head's outputs are computed once, then each stage of
:func:`~mmdet_shuffledefect.models.dense_heads.batched_post_process.batched_detections`
is timed on its own (p50 of ``--repeats`` runs after ``--warmup``), beside the
forward pass and the whole post-processing:

* candidates: per-level activation, score filter and top-k for every image;
* decode: ``delta2bbox`` + clip (+ rescale, min size);
* NMS: the candidates by score, class-aware NMS, the padded output (the
  compiled kernel where built, else torchvision's NMS; the table says which);
* to instances: one ``InstanceData`` per image (mmdet's result type).

The stages do not add up exactly to the whole (each is timed apart, with its
own cache effects); the table says how far apart they are.

Example:
    python projects/shuffledefectnet_study/tools/profile_post_process.py configs/sdn_ssd_neu.py \
        --images data/NEU-DET/IMAGES --batch-size 32 --threads 2
"""
import argparse
import os.path as osp
import sys
from typing import Callable, Dict, List, Tuple

import torch

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
from mmdet_shuffledefect.utils.config_loading import load_config
from mmdet_shuffledefect.utils.tool_errors import fail
from mmdet_shuffledefect.utils.env import print_report
from mmdet_shuffledefect.utils.timing import latency_samples_ms, percentile


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=DefaultsHelpFormatter)
    parser.add_argument('model', help='CONFIG or CONFIG:CHECKPOINT (a FastSSDHead / '
                        'FastRetinaHead config)')
    parser.add_argument('--images', default=None,
                        help='folder of steel pictures (default: the synthetic sample)')
    parser.add_argument('--batch-size', type=int, default=32, help='images per batch')
    parser.add_argument('--threads', type=int, default=0, help='torch threads (0: as set)')
    parser.add_argument('--warmup', type=int, default=3, help='untimed runs per stage')
    parser.add_argument('--repeats', type=int, default=15, help='timed runs per stage')
    parser.add_argument('--out', default=None, help='write the table to this markdown file')
    return parser.parse_args(argv)


def stage_functions(head, outs, metas) -> List[Tuple[str, Callable]]:
    """The stages of the batched post-processing, each a closure on fixed inputs."""
    from mmdet_shuffledefect.models.dense_heads.batched_post_process import (
                                                                             batch_candidates, batched_decoder, cached_priors, nms_backend, nms_candidates,
                                                                             padded_to_instances)
    cls_scores, bbox_preds = outs
    cfg = head.test_cfg
    batch = cls_scores[0].shape[0]
    img_hw = torch.tensor([list(m['img_shape'][:2]) for m in metas], dtype=torch.float32)
    sizes = [tuple(c.shape[-2:]) for c in cls_scores]
    priors = cached_priors(head, sizes, cls_scores[0].dtype, cls_scores[0].device)
    score_thr, nms_pre = cfg.get('score_thr', 0), cfg.get('nms_pre', -1)

    def candidates():
        return batch_candidates(cls_scores, bbox_preds, priors, head.num_classes,
                                head.use_sigmoid_cls, score_thr, nms_pre)

    scores, labels, deltas, anchors, valid = candidates()

    def decode():
        return batched_decoder(head.bbox_coder)(head.bbox_coder, anchors, deltas, img_hw)

    boxes = decode()
    iou_thr, max_per_img = cfg.nms.iou_threshold, cfg.max_per_img

    def nms():
        return nms_candidates(boxes, scores, labels, valid, head.num_classes, iou_thr,
                              max_per_img)

    dets, det_labels = nms()
    assert dets.shape[0] == batch
    return [('candidates (activation, score filter, top-k)', candidates),
            ('decode + clip', decode),
            (f'NMS ({nms_backend()}; sort by score, class-aware NMS, padded output)', nms),
            ('to InstanceData', lambda: padded_to_instances(dets, det_labels))]


def profile(config: str, ckpt, args) -> Tuple[List[Dict], Dict]:
    """Rows ``(stage, ms per batch, ms per image)`` of one model and batch."""
    from mmdet.apis import init_detector

    from mmdet_shuffledefect.deployment.onnx_detector import normalise, preprocess_constants
    from mmdet_shuffledefect.utils.input_size import config_input_size
    from mmdet_shuffledefect.models.dense_heads import BatchedPredictMixin
    from mmdet_shuffledefect.data_prep.bench_pictures import load_pictures_or_exit, picture_batch
    cfg = load_config(config)
    model = init_detector(cfg, ckpt, device='cpu').eval()
    head = model.bbox_head
    if not isinstance(head, BatchedPredictMixin) or not head.supports_batched_predict():
        fail(f'{config}: its head ({type(head).__name__}) does not take the batched '
             'post-processing; expected a FastSSDHead / FastRetinaHead config', code=1)
    height, width = config_input_size(cfg)
    pictures = load_pictures_or_exit(args.images, args.batch_size)
    images = torch.from_numpy(picture_batch(pictures, args.batch_size, height, width))
    mean, std, bgr = preprocess_constants(model.data_preprocessor)
    metas = [dict(img_shape=(height, width), ori_shape=(height, width),
                  scale_factor=(1.0, 1.0))] * args.batch_size

    def forward():
        return head(model.extract_feat(normalise(images, mean, std, bgr)))

    with torch.no_grad():
        outs = forward()
        stages = stage_functions(head, outs, metas)
    head.nms_chunk = 0
    timed = [('forward only (normalise + backbone + neck + head)', forward)] + stages + [
        ('whole post-processing (predict_by_feat)',
         lambda: head.predict_by_feat(*outs, batch_img_metas=metas, rescale=True))]
    rows = []
    for name, fn in timed:
        p50 = percentile(latency_samples_ms(fn, args.warmup, args.repeats), 50)
        rows.append(dict(stage=name, ms_batch=p50, ms_image=p50 / args.batch_size))
    with torch.no_grad():
        res = head.predict_by_feat(*outs, batch_img_metas=metas, rescale=True)
    # the candidates tensor is (B, widest): as wide as the image with the most of them
    widest = stages[0][1]()[0].shape[1]
    info = dict(detections_per_image=sum(len(r) for r in res) / len(res), candidates=widest)
    return rows, info


def main(argv=None) -> int:
    args = parse_args(argv)
    config, _, ckpt = args.model.partition(':')
    if not osp.isfile(config):
        fail(f'config file {config} does not exist')
    if ckpt and not osp.isfile(ckpt):
        fail(f'checkpoint {ckpt} does not exist')
    if args.batch_size < 1:
        fail(f'--batch-size must be >= 1, got {args.batch_size}')
    if args.threads:
        torch.set_num_threads(args.threads)
    rows, info = profile(config, ckpt or None, args)
    total = rows[-1]['ms_batch']
    parts = sum(r['ms_batch'] for r in rows[1:-1])
    forward = rows[0]['ms_batch']
    lines = [f'{osp.basename(config)}, batch {args.batch_size}, torch threads '
             f'{torch.get_num_threads()}, p50 of {args.repeats} runs after {args.warmup} '
             f'warm-up; up to {info["candidates"]} candidates per image before NMS (the '
             'most any image has), '
             f'{info["detections_per_image"]:.1f} detections per image', '',
             '| stage | ms per batch | ms per image | share of post-processing |',
             '|---|---|---|---|']
    for row in rows:
        share = f"{100 * row['ms_batch'] / total:.0f} %" if row is not rows[0] else ''
        lines.append(f"| {row['stage']} | {row['ms_batch']:.2f} | {row['ms_image']:.3f} | "
                     f'{share} |')
    lines += ['', f'stages timed apart add up to {parts:.2f} ms of the whole {total:.2f} ms; '
              f'forward + post-processing = {forward + total:.1f} ms per batch, '
              f'{forward / (forward + total):.2f}x the forward-only rate']
    print_report(lines, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
