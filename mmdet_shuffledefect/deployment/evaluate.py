"""Evaluate an exported detector with onnxruntime on a config's test set.

The config's own test dataloader (pipeline: load, resize, pack) and test
evaluator are used, so the numbers are those ``tools/test.py`` prints for
the PyTorch model; only the model is onnxruntime's.

Example:
    >>> metrics = evaluate_onnx(cfg, 'sdn.onnx')  # doctest: +SKIP
    >>> metrics['pascal_voc/mAP']                 # doctest: +SKIP
"""
from typing import Callable, Dict, Optional, Tuple

import numpy as np
import torch

from .openvino_detector import load_exported


def evaluate_onnx(cfg, onnx_path: str, threads: Optional[int] = None,
                  progress: bool = True, backend: str = 'onnxruntime',
                  precision: str = 'f32') -> Dict[str, float]:
    """Run ``onnx_path`` over ``cfg.test_dataloader`` and evaluate with ``cfg.test_evaluator``.

    Args:
        cfg (Config): The detector config (its test data and evaluator).
        onnx_path (str): The file of ``tools/deployment/export_onnx.py``.
        threads (int, optional): Runtime threads.
        progress (bool): A progress bar. Defaults to True.
        backend (str): ``'onnxruntime'`` (default) or ``'openvino'``.
        precision (str): ``'f32'`` (default) or, OpenVINO, ``'bf16'``.

    Raises:
        ValueError: The file's classes or input size differ from the config's, or the
            backend cannot run ``precision``.
    """
    detector = load_exported(onnx_path, backend, threads=threads, precision=precision)
    detector.check_config(cfg)
    return evaluate_padded(cfg, detector, f'{detector.describe()} test', progress)


def evaluate_padded(cfg, detect: Callable[[np.ndarray], Tuple[np.ndarray, np.ndarray]],
                    desc: str = 'test', progress: bool = True) -> Dict[str, float]:
    """Evaluate any whole detector that maps uint8 ``(B, 3, H, W)`` BGR images at the
    input size to padded ``dets (B, K, 5)`` and ``labels (B, K)`` (-1: none) on
    ``cfg.test_dataloader`` with ``cfg.test_evaluator``.

    Args:
        cfg (Config): The detector config (its test data and evaluator).
        detect (Callable): The detector (an exported runner, or PyTorch's batched path).
        desc (str): The progress bar's label.
        progress (bool): A progress bar. Defaults to True.

    Returns:
        dict: The evaluator's metrics.
    """
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    from mmengine.structures import InstanceData
    from tqdm import tqdm

    init_default_scope(cfg.get('default_scope', 'mmdet'))
    loader = Runner.build_dataloader(cfg.test_dataloader)
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = loader.dataset.metainfo
    for batch in tqdm(loader, desc=desc, unit='batch', disable=not progress):
        images = torch.stack(batch['inputs']).numpy()
        dets, labels = detect(images)
        samples = batch['data_samples']
        for sample, d, l in zip(samples, dets, labels):
            keep = l >= 0
            w_scale, h_scale = sample.metainfo.get('scale_factor', (1.0, 1.0))
            boxes = d[keep, :4] / np.array([w_scale, h_scale, w_scale, h_scale], np.float32)
            sample.pred_instances = InstanceData(
                bboxes=torch.from_numpy(boxes), scores=torch.from_numpy(d[keep, 4]),
                labels=torch.from_numpy(l[keep].astype(np.int64)))
        evaluator.process(data_samples=samples, data_batch=batch)
    return evaluator.evaluate(len(loader.dataset))
