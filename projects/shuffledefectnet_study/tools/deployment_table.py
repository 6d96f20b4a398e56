"""One table of a detector in every runtime and precision: speed and test mAP, one run.

Rows (:data:`ROWS`): the PyTorch fast path (the batched post-processing), the exported
whole detector on onnxruntime FP32, OpenVINO FP32 and bf16 (where the CPU has it), and
the INT8 file of ``tools/deployment/quantize.py`` on both runtimes (and, with
``--baseline``, an earlier export on onnxruntime). In one process on ``--threads``
threads:

* batch 1 latency (p50 and p95 ms) and batch 32 throughput (img/s from the p50), on
  the same steel pictures (``--images DIR``, else the synthetic sample's), the rows
  taking turns for ``--rounds`` rounds; the table gives the range over the rounds;
* each row's speed as a ratio to onnxruntime FP32 (and to the baseline) taken within
  each round, its range over the rounds;
* test mAP@0.5 on the config's test split (the same evaluation as ``tools/test.py``),
  with its difference to the PyTorch row and the class that loses most.

A row that cannot run here (no OpenVINO, no bf16 on this CPU, no file given) is
listed with the reason. ``--line WIDTH_MM:MM_PER_PX:SPEED_M_S`` adds what a strip
line needs: 200-px pictures per second across its width at its speed, and the rows
whose batch-32 rate meets it. Time it on a quiet machine (nothing else running).

Example:
    python projects/shuffledefectnet_study/tools/deployment_table.py configs/sdn_ssd_neu.py \\
        checkpoints/sdn_ssd_neu_20261126_120205-48f4e0af.pth --onnx sdn.onnx --int8 sdn_int8.onnx \\
        --images data/NEU-DET/IMAGES --threads 2 --out results/deployment_speed.md
"""
import argparse
import json
import math
import os.path as osp
import sys
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch

import mmdet_shuffledefect  # noqa: F401
from mmengine.config import DictAction

from sdn_study.screening import MAP_KEY, PER_CLASS_PREFIX as CLASS_AP
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_data_args
from mmdet_shuffledefect.utils.config_loading import load_config
from mmdet_shuffledefect.utils.tool_errors import fail
from mmdet_shuffledefect.utils.env import environment_info, print_report
from mmdet_shuffledefect.utils.timing import latency_samples_ms, percentile

#: (runtime, precision, which file: 'checkpoint' | 'onnx' | 'int8')
ROWS = (('pytorch', 'f32', 'checkpoint'), ('onnxruntime', 'f32', 'onnx'),
        ('openvino', 'f32', 'onnx'), ('openvino', 'bf16', 'onnx'),
        ('onnxruntime', 'int8', 'int8'), ('openvino', 'int8', 'int8'))
#: the side of one picture a line's camera image is cut into (NEU-DET's pictures)
TILE_PX = 200


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('config', help='detector config')
    parser.add_argument('checkpoint', help='its trained checkpoint (.pth)')
    parser.add_argument('--onnx', help='the exported file (tools/deployment/export_onnx.py)')
    parser.add_argument('--int8', help='its INT8 file (tools/deployment/quantize.py)')
    parser.add_argument('--baseline', metavar='FILE.onnx',
                        help='an earlier export of the same model: one more onnxruntime FP32 '
                        'row, and every row\'s speed as a ratio to it too')
    parser.add_argument('--images', metavar='DIR', default=None,
                        help='steel pictures to time on (default: the synthetic sample)')
    parser.add_argument('--threads', type=int, default=2, help='threads of every runtime')
    parser.add_argument('--warmup', type=int, default=5, help='untimed runs per row and batch')
    parser.add_argument('--repeats', type=int, default=30, help='timed runs per row and batch')
    parser.add_argument('--batch', type=int, default=32, help='the throughput batch')
    parser.add_argument('--rounds', type=int, default=3,
                        help='timing rounds, the rows taking turns (the table gives the range)')
    parser.add_argument('--no-map', action='store_true', help='speed only')
    parser.add_argument('--line', action='append', default=[], metavar='W:MMPP:V',
                        help='a strip line: width in mm, mm per pixel, speed in m/s '
                        '(repeatable)')
    parser.add_argument('--out', help='write the table (markdown) to this file')
    parser.add_argument('--json', help='write every row and the environment as JSON')
    add_data_args(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries as mmdet\'s tools do')
    return parser.parse_args(argv)


def parse_line(text: str) -> Tuple[float, float, float]:
    """``'1500:0.5:5'`` -> ``(1500.0, 0.5, 5.0)``: width mm, mm per pixel, speed m/s.

    Raises:
        ValueError: Not three positive numbers (the text named).

    Example:
        >>> parse_line('1500:0.5:5')
        (1500.0, 0.5, 5.0)
    """
    try:
        width, mmpp, speed = (float(v) for v in text.split(':'))
    except ValueError:
        raise ValueError(f'--line {text!r}: expected WIDTH_MM:MM_PER_PX:SPEED_M_S, '
                         'e.g. 1500:0.5:5') from None
    if min(width, mmpp, speed) <= 0:
        raise ValueError(f'--line {text!r}: width, mm per pixel and speed must be > 0')
    return width, mmpp, speed


def pictures_per_second(width_mm: float, mm_per_px: float, speed_m_s: float) -> float:
    """200-px pictures per second that cover a strip ``width_mm`` wide moving at
    ``speed_m_s``, imaged at ``mm_per_px`` (pictures across rounded up).

    Example:
        >>> pictures_per_second(1500, 0.5, 5)  # 15 across x 50 rows a second
        750.0
    """
    across = math.ceil(width_mm / mm_per_px / TILE_PX)
    rows = speed_m_s * 1000.0 / mm_per_px / TILE_PX
    return across * rows


def pytorch_detector(cfg, checkpoint: str) -> Tuple[Callable, str]:
    """The PyTorch fast path as a padded-detections callable (normalise, forward, the
    batched post-processing of ``predict_by_feat``)."""
    from mmdet.apis import init_detector

    from mmdet_shuffledefect.deployment.onnx_detector import normalise, preprocess_constants
    from mmdet_shuffledefect.utils.input_size import config_input_size
    from mmdet_shuffledefect.models.dense_heads import BatchedPredictMixin, batched_detections
    model = init_detector(cfg, checkpoint, device='cpu').eval()
    head = model.bbox_head
    if not isinstance(head, BatchedPredictMixin) or not head.supports_batched_predict():
        raise ValueError(f'{type(head).__name__} has no batched post-processing: use a '
                         'FastSSDHead / FastRetinaHead / FastRTMDetSepBNHead config')
    mean, std, bgr = preprocess_constants(model.data_preprocessor)
    height, width = config_input_size(cfg)

    def detect(images: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        with torch.no_grad():
            x = normalise(torch.from_numpy(images), mean, std, bgr)
            cls_scores, bbox_preds = head(model.extract_feat(x))
            img_hw = torch.tensor([[float(height), float(width)]]).expand(len(images), 2)
            dets, labels = batched_detections(head, cls_scores, bbox_preds, img_hw,
                                              head.test_cfg)
        return dets.numpy(), labels.numpy()

    return detect, 'f32'


def build_row(runtime: str, precision: str, source: str, args, cfg
              ) -> Tuple[Optional[Callable], str, str]:
    """``(detect, precision that ran, why not)`` of one row (``detect`` None: not run)."""
    path = {'checkpoint': args.checkpoint, 'onnx': args.onnx, 'int8': args.int8,
            'baseline': args.baseline}[source]
    if path is None:
        return None, precision, f'no --{source} file given'
    if runtime == 'pytorch':
        return (*pytorch_detector(cfg, path), '')
    from mmdet_shuffledefect.deployment import load_exported
    try:
        model = load_exported(path, runtime, threads=args.threads, precision=precision)
        model.check_config(cfg)
    except (ImportError, ValueError) as err:
        return None, precision, str(err)
    return model, model.precision, ''


def class_drops(metrics: Dict[str, float], base: Dict[str, float]) -> Tuple[str, float]:
    """The class whose AP@0.5 falls most from ``base`` to ``metrics``, and by how much.

    Example:
        >>> class_drops({'pascal_voc/AP50_a': .5, 'pascal_voc/AP50_b': .7},
        ...             {'pascal_voc/AP50_a': .6, 'pascal_voc/AP50_b': .7})
        ('a', 0.09999999999999998)
    """
    worst, drop = '', -math.inf
    for key, value in base.items():
        if key.startswith(CLASS_AP):
            delta = value - metrics.get(key, 0.0)
            if delta > drop:
                worst, drop = key[len(CLASS_AP):], delta
    return worst, drop


def time_row(detect: Callable, stack: np.ndarray, args) -> Dict[str, float]:
    """Batch 1 p50/p95 latency and batch ``len(stack)`` img/s of one row."""
    one = np.ascontiguousarray(stack[:1])
    single = latency_samples_ms(lambda: detect(one), args.warmup, args.repeats)
    batched = latency_samples_ms(lambda: detect(stack), args.warmup, args.repeats)
    p50 = percentile(batched, 50)
    return dict(b1_p50=percentile(single, 50), b1_p95=percentile(single, 95),
                batch_p50=p50, img_s=len(stack) * 1000.0 / p50)


def main(argv=None) -> int:
    args = parse_args(argv)
    for name, path in (('config', args.config), ('checkpoint', args.checkpoint),
                       ('--onnx', args.onnx), ('--int8', args.int8),
                       ('--baseline', args.baseline)):
        if path is not None and not osp.isfile(path):
            fail(f'{name} {path} does not exist')
    try:
        lines_spec = [parse_line(t) for t in args.line]
    except ValueError as err:
        fail(str(err))
    if min(args.threads, args.batch, args.rounds, args.repeats) < 1:
        fail(f'--threads, --batch, --rounds and --repeats must be >= 1, got {args.threads}, '
             f'{args.batch}, {args.rounds}, {args.repeats}')
    torch.set_num_threads(args.threads)
    from mmdet_shuffledefect.data_prep.bench_pictures import load_pictures_or_exit, picture_batch
    from mmdet_shuffledefect.deployment.evaluate import evaluate_padded
    from mmdet_shuffledefect.utils.input_size import config_input_size
    cfg = load_config(args.config, args.cfg_options, args.data_root, args.classes)
    stack = picture_batch(load_pictures_or_exit(args.images, args.batch), args.batch,
                          *config_input_size(cfg))
    rows, detectors = [], []
    wanted = ((('onnxruntime', 'f32', 'baseline'), ) if args.baseline else ()) + ROWS
    for runtime, precision, source in wanted:
        try:
            detect, ran, why = build_row(runtime, precision, source, args, cfg)
        except ValueError as err:
            fail(str(err), code=1)
        rows.append(dict(runtime=runtime, asked=precision, precision=ran, file=source,
                         why=why, rounds=[]))
        detectors.append(detect)
    for i in range(args.rounds):  # the rows take turns, so drift hits every row alike
        for row, detect in zip(rows, detectors):
            if detect is not None:
                print(f"round {i + 1}/{args.rounds}: {row['runtime']} {row['precision']} "
                      f"({row['file']})", flush=True)
                row['rounds'].append(time_row(detect, stack, args))
    for row, detect in zip(rows, detectors):
        if detect is not None and not args.no_map:
            row['metrics'] = evaluate_padded(cfg, detect, f"{row['runtime']} "
                                             f"{row['precision']} test")
    lines = table_lines(rows, args, lines_spec)
    print_report(lines, args.out)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(rows=rows, environment=environment_info(), args=vars(args)), f,
                      indent=1)
    return 0


def spread(values: List[float], fmt: str) -> str:
    """``'a-b'`` of the smallest and largest value (one value when they agree).

    Example:
        >>> spread([1.234, 1.5], '.2f'), spread([2.0, 2.0], '.1f')
        ('1.23-1.50', '2.0')
    """
    low, high = format(min(values), fmt), format(max(values), fmt)
    return low if low == high else f'{low}-{high}'


def table_lines(rows: List[Dict], args, lines_spec) -> List[str]:
    """The markdown table (and the line-rate table) of the rows: the range over the rounds
    of each speed, and of each ratio taken within a round."""
    env = environment_info()

    def rates(source):
        return next((r['rounds'] for r in rows if r['runtime'] == 'onnxruntime'
                     and r['file'] == source and r['rounds']), None)

    base, before = rates('onnx'), rates('baseline')
    out = [f"{osp.basename(args.config)} + {osp.basename(args.checkpoint)}; CPU "
           f"{env['cpu']}, {args.threads} threads; batch 1 and {args.batch}, p50/p95 of "
           f"{args.repeats} runs after {args.warmup}, the range over {args.rounds} rounds "
           f"in which the rows took turns; git {env['git_commit']}"
           + (f'; baseline {osp.basename(args.baseline)}' if args.baseline else ''), '',
           f'| runtime | precision (as it ran) | batch 1 p50 (p95) ms | batch {args.batch} '
           'img/s | x onnxruntime FP32 | ' + ('x the baseline | ' if before else '')
           + 'test mAP@0.5 | vs PyTorch | class losing most |',
           '|---|---|---|---|---|---|---|---|' + ('---|' if before else '')]
    base_map = next((r['metrics'] for r in rows if r['runtime'] == 'pytorch'
                     and 'metrics' in r), None)
    for r in rows:
        name = r['runtime'] + {'int8': ' (INT8 file)', 'baseline': ' (the baseline file)'
                               }.get(r['file'], '')
        if not r['rounds']:
            out.append(f"| {name} | {r['asked']} | not run: {r['why']} | | | | | |"
                       + (' |' if before else ''))
            continue
        timed = r['rounds']
        latency = (f"{spread([t['b1_p50'] for t in timed], '.2f')} "
                   f"({spread([t['b1_p95'] for t in timed], '.2f')})")
        speed = spread([t['img_s'] for t in timed], '.0f')
        cells = []
        for ref in (base, before):
            if ref:
                cells.append(spread([t['img_s'] / b['img_s'] for t, b in zip(timed, ref)],
                                    '.2f') + 'x')
        mean = r.get('metrics', {}).get(MAP_KEY)
        text_map = f'{mean:.4f}' if mean is not None else '-'
        delta, worst = '-', '-'
        if mean is not None and base_map is not None:
            delta = f"{mean - base_map[MAP_KEY]:+.4f}"
            cls, drop = class_drops(r['metrics'], base_map)
            worst = f'{cls} {-drop:+.4f}' if cls and drop > 0 else 'none'
        out.append(f"| {name} | {r['precision']} | {latency} | {speed} | "
                   + ' | '.join(cells or ['-']) + f' | {text_map} | {delta} | {worst} |')
    if lines_spec:
        out += ['', f'| strip line (width, mm/px, speed) | {TILE_PX}-px pictures/s needed | '
                f'rows whose slowest batch-{args.batch} round meets it |', '|---|---|---|']
        for width, mmpp, speed in lines_spec:
            need = pictures_per_second(width, mmpp, speed)
            meet = [f"{r['runtime']} {r['precision']}" + {'int8': ' (INT8 file)',
                                                          'baseline': ' (baseline)'
                                                          }.get(r['file'], '')
                    for r in rows if r['rounds']
                    and min(t['img_s'] for t in r['rounds']) >= need]
            out.append(f'| {width:g} mm, {mmpp:g} mm/px, {speed:g} m/s | {need:.0f} | '
                       f"{', '.join(meet) or 'none'} |")
    return out


if __name__ == '__main__':
    sys.exit(main())
