"""Whole-detector speed of one or more configs, timed in turn in one process.

For each ``CONFIG[:CHECKPOINT]`` and batch size, every row starts from a batch
of uint8 steel pictures (B, 3, H, W) already on the device at the model's input
size (``--images DIR``, else the synthetic sample's pictures):

* forward only: normalisation + backbone + neck + head (no post-processing);
* whole detector, stock: + mmdet's per-image ``predict_by_feat`` (mmcv NMS);
* whole detector, fast: + the project's batched post-processing (the
  ``FastSSDHead`` / ``FastRetinaHead`` / ``FastRTMDetSepBNHead`` path; n/a for other
  heads), one row per ``--nms-chunks`` setting (images per NMS call);
* onnxruntime and OpenVINO FP32 (where openvino is installed): the exported whole
  detector (CPU only); ``--backend openvino --precision bf16`` times an exported file
  in bf16 (the row says which precision ran);
* mmdet pipeline: ``inference_detector`` on the B decoded pictures, the
  per-image path of mmdet's Python API (resize + preprocess + forward + NMS).

A classifier config (mmpretrain scope, the NEU-CLS configs) gets two rows:
forward only (normalisation + backbone + neck + head logits) and the whole
classifier (mmpretrain's ``test_step``: preprocessing, softmax scores and
labels in data samples).

Another kind of model, given as ``KIND:NAME:FILE``, is timed by the module that
registered ``KIND`` (``mmdet_shuffledefect.utils.timing.register_benchmark_kind``),
imported with ``--custom-imports``: the study wing's classical NEU-CLS classifiers
(``--custom-imports sdn_study.classical.bench``, ``classical:NAME:MODEL.pkl``, a fold's
``model.pkl`` of ``cross_validate.py --classical NAME``) get two rows, their
features only and the whole classifier (features + SVMs), on the pictures at their
own size (NEU-CLS: 200x200 grey), a batch's features on ``--threads`` threads.

Each row reports p50 (and p95 at batch 1) latency per batch, images per
second, and its ratio to the forward-only rate of the same model and batch.
CPU: batch 1 and 32; CUDA: 1, 32 and 256 (``--batch-size`` overrides). ``--input-size`` times
detectors at another square input (one size for all, or one per model: the
same config at two sizes in one run), as ``tools/train.py --input-size`` sets it.
``--out`` writes the markdown table, ``--json`` every row with its config and
checkpoint (what ``projects/shuffledefectnet_study/tools/compare_detectors.py`` reads).

Example:
    python tools/analysis_tools/benchmark.py \
        configs/sdn_ssd_neu.py:checkpoints/sdn_ssd_neu_20261126_120205-48f4e0af.pth --threads 2
    python tools/analysis_tools/benchmark.py configs/sdn_ssd_neu.py:sdn.onnx --backend onnxruntime
    python tools/analysis_tools/benchmark.py configs/sdn_ssd_neu.py configs/sdn_retinanet_neu.py --device cuda
    python tools/analysis_tools/benchmark.py configs/sdn_ssd_neu.py configs/sdn_ssd_neu.py --input-size 0 320
    python tools/analysis_tools/benchmark.py configs/classification/sdn-1.0x_linear_30e_neu-cls.py \
        configs/classification/shufflenetv2-1.0x_linear_30e_neu-cls.py --threads 2
    python tools/analysis_tools/benchmark.py classical:aeclbp:work_dirs/cv/aeclbp/fold0/model.pkl \
        --custom-imports sdn_study.classical.bench --threads 2 --images data/NEU-CLS/IMAGES
"""
import argparse
import importlib
import json
import os
import os.path as osp
import sys
import tempfile
from typing import Callable, Dict, List, Optional, Tuple

import cv2
import numpy as np
import torch

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.data_prep.bench_pictures import load_pictures_or_exit, picture_batch
from mmdet_shuffledefect.utils.cli import (DefaultsHelpFormatter, add_classes_arg, add_old_spelling,
                                           add_partial_load_arg, guard_checkpoint)
from mmdet_shuffledefect.utils.config_loading import load_config
from mmdet_shuffledefect.utils.tool_errors import fail
from mmdet_shuffledefect.utils.checkpoint_fit import CheckpointMismatchError
from mmdet_shuffledefect.utils.model_check import ModelConsistencyError, check_if_ours
from mmdet_shuffledefect.utils.env import environment_info, write_report
from mmdet_shuffledefect.utils.timing import BENCHMARK_KINDS, latency_samples_ms, percentile


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('models', nargs='+', metavar='CONFIG[:CHECKPOINT]',
                        help='configs to time, each optionally with weights (random init '
                        'when omitted)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads for torch and onnxruntime')
    add_old_spelling(parser, '--batch-sizes', '--batch-size', type=int, nargs='+')
    parser.add_argument('--batch-size', type=int, nargs='+', default=None,
                        help='default: 1 32 on the CPU, 1 32 256 on CUDA')
    parser.add_argument('--images', metavar='DIR',
                        help='steel pictures to time on (spread over the folder); default: '
                        'the synthetic sample\'s')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=15)
    parser.add_argument('--backend', choices=['all', 'onnxruntime', 'openvino'], default='all',
                        help='all: every row from the PyTorch model (the exported rows, '
                        'onnxruntime and OpenVINO FP32, export it); onnxruntime / openvino: '
                        'only the exported file given as CONFIG:FILE.onnx in that runtime')
    parser.add_argument('--precision', choices=['f32', 'bf16', 'int8'], default='f32',
                        help='precision of --backend onnxruntime/openvino: bf16 OpenVINO only, '
                        'int8 a file of tools/deployment/quantize.py (printed in the row)')
    parser.add_argument('--no-onnx', action='store_true',
                        help='skip the exported (onnxruntime, OpenVINO) rows')
    parser.add_argument('--nms-chunks', type=int, nargs='+', default=[0],
                        help='fast-path rows for these images-per-NMS-call settings '
                        '(0: the whole batch in one call; 1: per image)')
    parser.add_argument('--no-pipeline', action='store_true',
                        help='skip the inference_detector rows')
    parser.add_argument('--out', help='also write the table (markdown) to this file')
    parser.add_argument('--json', metavar='FILE',
                        help='also write every row (config, checkpoint, batch, p50, p95, '
                        'img/s) and the environment as JSON, e.g. for '
                        'projects/shuffledefectnet_study/tools/compare_detectors.py')
    parser.add_argument('--input-size', type=int, nargs='+', metavar='PX',
                        help='square input side of the detectors: one for every model, or one '
                        'per model in order (0: that config\'s own); pipelines and SSD anchors '
                        'follow it as with tools/train.py --input-size (default: each '
                        'config\'s own)')
    parser.add_argument('--custom-imports', action='append', default=[], metavar='MODULE',
                        help='a module to import first (repeatable), which registers another '
                        'kind of model to time as KIND:NAME:FILE (e.g. '
                        'sdn_study.classical.bench: classical:aeclbp:model.pkl)')
    add_classes_arg(parser)
    add_partial_load_arg(parser)
    return parser.parse_args(argv)


def input_sizes(given: Optional[List[int]], count: int) -> List[Optional[int]]:
    """``--input-size``: the side for each of ``count`` models (``None``: the config's own).

    Example:
        >>> input_sizes([320], 2), input_sizes([0, 256], 2), input_sizes(None, 1)
        ([320, 320], [None, 256], [None])
    """
    if not given:
        return [None] * count
    if len(given) not in (1, count):
        fail(f'--input-size takes one size for every model or one per model ({count}), '
             f'got {len(given)}: {given}')
    if any(size < 0 for size in given):
        fail(f'--input-size must be >= 0 (0: the config\'s own), got {given}')
    sizes = given * count if len(given) == 1 else list(given)
    return [size or None for size in sizes]


def model_kind(text: str) -> Optional[str]:
    """The registered KIND of a ``KIND:NAME:FILE`` argument, else None (a config)."""
    kind, sep, _ = text.partition(':')
    return kind if sep and kind in BENCHMARK_KINDS else None


def split_model_arg(text: str) -> Tuple[str, Optional[str]]:
    """``'a.py:b.pth'`` -> ``('a.py', 'b.pth')``; ``'a.py'`` -> ``('a.py', None)``;
    ``'KIND:NAME:m.pkl'`` (a registered kind) -> ``('KIND:NAME', 'm.pkl')``."""
    kind = model_kind(text)
    if kind:
        name, sep, model = text[len(kind) + 1:].partition(':')
        return f'{kind}:{name}', (model if sep and model else None)
    config, sep, ckpt = text.partition(':')
    return config, (ckpt if sep and ckpt else None)


def kind_rows(config: str, model_file: str, args, batch: int,
              pictures: List[np.ndarray]) -> List[Dict]:
    """Time a ``KIND:NAME:FILE`` model with the rows its registered kind gives."""
    kind, _, name = config.partition(':')
    images = [pictures[i % len(pictures)] for i in range(batch)]
    try:
        rows = BENCHMARK_KINDS[kind].rows(name, model_file, images, args.threads or 1)
    except ValueError as err:  # the wrong file for the name given: usage (2)
        fail(str(err))
    return timed_rows(rows, args, batch)


def check_kind_arg(config: str, model_file: Optional[str]) -> None:
    """Exit 2 unless ``KIND:NAME:FILE`` names a known NAME and an existing FILE."""
    kind, _, name = config.partition(':')
    spec = BENCHMARK_KINDS[kind]
    if name not in spec.names() or not model_file:
        fail(f'{config}:{model_file or ""}: expected {kind}:NAME:{spec.file_hint} with NAME '
             f'one of {", ".join(sorted(spec.names()))}')
    if not osp.isfile(model_file):
        fail(f'{kind} model file {model_file} does not exist')


def mmcv_has_device_nms(device: str) -> bool:
    """Whether mmcv's compiled NMS runs on ``device``."""
    try:
        from mmcv.ops import nms
        boxes = torch.tensor([[0., 0., 1., 1.]], device=device)
        nms(boxes, torch.ones(1, device=device), 0.5)
        return True
    except Exception:  # noqa: BLE001  (any failure means no usable op)
        return False


def onnx_rows(config: str, onnx_file: str, args, batch: int,
              pictures: List[np.ndarray]) -> List[Dict]:
    """``--backend onnxruntime|openvino``: time an exported whole detector alone."""
    from mmdet_shuffledefect.deployment import load_exported
    cfg = load_config(config, classes=args.classes)
    try:
        model = load_exported(onnx_file, args.backend, threads=args.threads,
                              precision=args.precision)
        model.check_config(cfg)
    except (ValueError, ImportError) as err:
        fail(str(err), code=1)
    height, width = model.input_size
    images = picture_batch(pictures, batch, height, width)
    times = latency_samples_ms(lambda: model(images), args.warmup, args.repeats)
    p50 = percentile(times, 50)
    return [dict(row=f'{model.describe()} ({osp.basename(onnx_file)})', batch=batch, p50=p50,
                 p95=percentile(times, 95), img_s=batch * 1000.0 / p50, ratio=None)]


def timed_rows(rows: List[Tuple[str, Optional[Callable]]], args, batch: int,
               before_each: Optional[Callable] = None) -> List[Dict]:
    """p50/p95 latency, img/s and the ratio to the first row's img/s of each row
    (``before_each`` runs, untimed, before each row's timing)."""
    out = []
    for name, fn in rows:
        if before_each is not None:
            before_each()
        if fn is None:
            out.append(dict(row=name, batch=batch, p50=None, p95=None))
            continue
        times = latency_samples_ms(fn, args.warmup, args.repeats, args.device)
        out.append(dict(row=name, batch=batch, p50=percentile(times, 50),
                        p95=percentile(times, 95)))
    forward_rate = batch * 1000.0 / out[0]['p50']
    for row in out:
        row['img_s'] = batch * 1000.0 / row['p50'] if row['p50'] else None
        row['ratio'] = row['img_s'] / forward_rate if row['img_s'] else None
    return out


def classifier_rows(cfg, ckpt: Optional[str], args, batch: int,
                    pictures: List[np.ndarray]) -> List[Dict]:
    """Time an mmpretrain classifier: forward only and the whole ``test_step``."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model if 'data_preprocessor' in cfg.model else
                         dict(cfg.model, data_preprocessor=cfg.get('data_preprocessor')))
    if ckpt:
        load_checkpoint(model, ckpt, map_location='cpu')
    model = model.to(args.device).eval()
    size = int(cfg.get('input_size', 192))
    images = [torch.from_numpy(cv2.resize(pictures[i % len(pictures)], (size, size))
                               .transpose(2, 0, 1).copy()).to(args.device)
              for i in range(batch)]
    prepared = model.data_preprocessor(dict(inputs=images), False)['inputs']

    def forward():
        return model(prepared, mode='tensor')

    rows = [('forward only', forward),
            ('whole classifier (test_step: preprocess + softmax + labels)',
             lambda: model.test_step(dict(inputs=images)))]
    with torch.no_grad():
        return timed_rows(rows, args, batch)


def model_rows(config: str, ckpt: Optional[str], args, batch: int,
               pictures: List[np.ndarray], size: Optional[int] = None) -> List[Dict]:
    """Time every row of one model at one batch size (``size``: its ``--input-size``)."""
    if args.backend in ('onnxruntime', 'openvino'):
        return onnx_rows(config, ckpt, args, batch, pictures)
    if model_kind(config):
        return kind_rows(config, ckpt, args, batch, pictures)
    cfg = load_config(config, classes=args.classes)
    if ckpt:
        guard_checkpoint(args, cfg, ckpt, classes_win=True)
    if cfg.get('default_scope') == 'mmpretrain':
        if size:
            fail(f'--input-size {size} for {config}: a classifier config; --input-size sets '
                 'the input of detector configs')
        return classifier_rows(cfg, ckpt, args, batch, pictures)
    if size:
        from mmdet_shuffledefect.utils.input_size import set_input_size
        try:
            set_input_size(cfg, size)
        except ValueError as err:
            fail(f'--input-size {size} for {config}: {err}')
    return detector_rows(cfg, ckpt, args, batch, pictures)


def exported_rows(cfg, ckpt: Optional[str], args, images: torch.Tensor) -> tuple:
    """The onnxruntime and OpenVINO rows of a detector, exported into a temporary folder
    (returned too, for the caller to clean up once timed)."""
    from mmdet_shuffledefect.deployment import OnnxDetector, OpenVINODetector, export_onnx
    tmp = tempfile.TemporaryDirectory()
    path = osp.join(tmp.name, 'model.onnx')
    export_onnx(cfg, ckpt, path)
    ort_model = OnnxDetector(path, threads=args.threads)
    np_images = images.cpu().numpy()
    rows = [('onnxruntime (whole detector)', lambda: ort_model(np_images))]
    try:
        ov_model = OpenVINODetector(path, threads=args.threads, precision='f32')
        rows.append((f'{ov_model.describe()} (whole detector)', lambda: ov_model(np_images)))
    except ImportError as err:
        print(f'no OpenVINO row: {err}', flush=True)
    return rows, tmp


def fast_rows(head, forward: Callable, metas: List[Dict], chunks: List[int],
              fast_ok: bool) -> List[Tuple[str, Optional[Callable]]]:
    """The batched post-processing rows, one per images-per-NMS-call setting (``None`` where
    the head has no batched path)."""
    def fast(chunk):
        def run():
            head.nms_chunk = chunk
            return head.predict_by_feat(*forward(), batch_img_metas=metas, rescale=True)
        return run

    rows = []
    for chunk in chunks:
        where = 'one NMS call per batch' if chunk == 0 else f'one NMS call per {chunk} image(s)'
        rows.append((f'whole detector, fast (batched post-processing, {where})',
                     fast(chunk) if fast_ok else None))
    return rows


def detector_rows(cfg, ckpt: Optional[str], args, batch: int,
                  pictures: List[np.ndarray]) -> List[Dict]:
    """Time every row of one detector config at one batch size."""
    from mmdet.apis import inference_detector, init_detector
    from mmdet.models.dense_heads.base_dense_head import BaseDenseHead

    from mmdet_shuffledefect.deployment.onnx_detector import normalise, preprocess_constants
    from mmdet_shuffledefect.utils.input_size import config_input_size
    from mmdet_shuffledefect.models.dense_heads import BatchedPredictMixin
    model = init_detector(cfg, ckpt, device=args.device).eval()
    check_if_ours(model, cfg)
    head = model.bbox_head
    mean, std, bgr = (t.to(args.device) if torch.is_tensor(t) else t
                      for t in preprocess_constants(model.data_preprocessor))
    height, width = config_input_size(cfg)
    decoded = [pictures[i % len(pictures)] for i in range(batch)]
    images = torch.from_numpy(picture_batch(pictures, batch, height, width)).to(args.device)
    metas = [dict(img_shape=(height, width), ori_shape=(height, width),
                  scale_factor=(1.0, 1.0))] * batch

    def forward():
        return head(model.extract_feat(normalise(images, mean, std, bgr)))

    rows: List[Tuple[str, Optional[Callable]]] = [('forward only', forward)]
    stock_ok = not args.device.startswith('cuda') or mmcv_has_device_nms(args.device)
    rows.append(('whole detector, stock (mmdet per-image post-processing)',
                 (lambda: BaseDenseHead.predict_by_feat(head, *forward(), batch_img_metas=metas,
                                                        rescale=True)) if stock_ok else None))
    fast_ok = isinstance(head, BatchedPredictMixin) and head.supports_batched_predict()
    rows += fast_rows(head, forward, metas, args.nms_chunks, fast_ok)
    default_chunk = getattr(head, 'nms_chunk', 0)
    tmp = None
    if not args.no_onnx and fast_ok and not args.device.startswith('cuda'):
        exported, tmp = exported_rows(cfg, ckpt, args, images)
        rows += exported
    elif not args.no_onnx:
        rows.append(('onnxruntime (whole detector)', None))
    if not args.no_pipeline:
        rows.append(('mmdet pipeline (inference_detector, per image)',
                     (lambda: inference_detector(model, decoded)) if stock_ok else None))

    def reset_chunk():
        if fast_ok:
            head.nms_chunk = default_chunk

    try:
        return [dict(row, input=f'{height}x{width}')
                for row in timed_rows(rows, args, batch, before_each=reset_chunk)]
    finally:
        reset_chunk()
        if tmp is not None:
            tmp.cleanup()


def model_label(config: str, ckpt: Optional[str], size: Optional[int] = None) -> str:
    """The table's model column: the config's file name, with the input size where
    ``--input-size`` set it, marked where no weights were given (random weights: a detector's
    scores then sit at its initial prior, so how much work its NMS gets can differ from a
    trained one's).

    Example:
        >>> model_label('configs/sdn_ssd_neu.py', None, 320)
        'sdn_ssd_neu.py @ 320 px (random weights)'
    """
    label = osp.basename(config) + (f' @ {size} px' if size else '')
    if model_kind(config) or ckpt:
        return label
    return f'{label} (random weights)'


def check_models(args) -> tuple:
    """The models and input sizes asked for, each checked (one message per problem, exit
    2): imports, files, backend and precision that go together."""
    for module in args.custom_imports:
        try:
            importlib.import_module(module)
        except ImportError as err:
            fail(f'--custom-imports {module}: cannot import it ({err})')
    models = [split_model_arg(m) for m in args.models]
    sizes = input_sizes(args.input_size, len(models))
    for (config, _), size in zip(models, sizes):
        if size and (model_kind(config) or args.backend != 'all'):
            fail(f'--input-size {size} for {config}: only a detector config timed from '
                 'PyTorch (--backend all) follows it; an exported file keeps the size it was '
                 'exported at, a KIND:NAME:FILE model reads the pictures at their own size')
    for config, ckpt in models:
        if model_kind(config):
            check_kind_arg(config, ckpt)
            continue
        if not osp.isfile(config):
            if ckpt and ':' in ckpt:
                fail(f'{config}:{ckpt}: no config {config}, and {config!r} is no registered '
                     'kind of model (KIND:NAME:FILE; --custom-imports MODULE registers one; '
                     f'registered: {", ".join(sorted(BENCHMARK_KINDS)) or "none"})')
            fail(f'config file {config} does not exist')
        if ckpt and not osp.isfile(ckpt):
            fail(f'checkpoint {ckpt} does not exist')
        if args.backend != 'all' and not (ckpt or '').endswith('.onnx'):
            fail(f'--backend {args.backend} needs CONFIG:FILE.onnx, got {config}:{ckpt}')
    if args.precision == 'bf16' and args.backend != 'openvino':
        fail('--precision bf16 needs --backend openvino')
    if args.precision == 'int8' and args.backend == 'all':
        fail('--precision int8 needs --backend onnxruntime or openvino and an INT8 file')
    return models, sizes


def timed_table(models, sizes, args, batches, pictures, lines) -> List[Dict]:
    """Time every model at every batch size; each row printed as it comes, added to
    ``lines`` (the report) and returned as records (the JSON)."""
    records = []
    for (config, ckpt), size in zip(models, sizes):
        label = model_label(config, ckpt, size)
        for batch in batches:
            try:
                rows = model_rows(config, ckpt, args, batch, pictures, size)
            except (CheckpointMismatchError, ModelConsistencyError) as err:
                fail(str(err), code=1)
            for row in rows:
                records.append(dict(row, config=config, checkpoint=ckpt, input_size=size))
                if row['p50'] is None:
                    why = ('mmcv has no CUDA ops' if 'stock' in row['row'] or 'pipeline' in
                           row['row'] else 'n/a for this head/device')
                    line = f"| {label} | {batch} | {row['row']} | {why} | | | |"
                else:
                    p95 = f"{row['p95']:.1f}" if batch == 1 else ''
                    ratio = f"{row['ratio']:.2f}" if row['ratio'] is not None else ''
                    line = (f"| {label} | {batch} | {row['row']} | "
                            f"{row['p50']:.1f} | {p95} | {row['img_s']:.1f} | {ratio} |")
                lines.append(line)
                print(line, flush=True)
    return records


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        fail(f'--device {args.device} requested but CUDA is not available')
    batches = args.batch_size or ([1, 32, 256] if args.device.startswith('cuda') else [1, 32])
    if min(batches) < 1:
        fail(f'--batch-size must be >= 1, got {batches}')
    models, sizes = check_models(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    pictures = load_pictures_or_exit(args.images, max(batches))
    lines = [f'device {args.device}, torch threads {torch.get_num_threads()}, p50/p95 of '
             f'{args.repeats} runs after {args.warmup} warm-up; img/s from p50; "x fwd" = '
             'img/s / forward-only img/s of the same model and batch', '',
             '| model | batch | row | p50 ms/batch | p95 ms/batch | img/s | x fwd |',
             '|---|---|---|---|---|---|---|']
    print('\n'.join(lines), flush=True)
    records = timed_table(models, sizes, args, batches, pictures, lines)
    env = environment_info()
    for kind in sorted({model_kind(config) for config, _ in models} - {None}):
        env.update(BENCHMARK_KINDS[kind].versions())
    lines += ['', 'environment: ' + ', '.join(f'{k} {v}' for k, v in env.items())]
    print(lines[-1])
    if args.out:
        write_report(args.out, lines)
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(dict(device=args.device, threads=torch.get_num_threads(),
                           repeats=args.repeats, warmup=args.warmup, images=args.images,
                           environment=env, rows=records), f, indent=1)
        print(f'[benchmark] rows written to {args.json}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
