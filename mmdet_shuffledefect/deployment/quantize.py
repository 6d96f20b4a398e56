"""INT8 post-training quantization of an exported whole detector (NNCF, ONNX in, ONNX out).

The network's convolutions get INT8 weights (per channel) and activations (QuantizeLinear /
DequantizeLinear pairs, calibrated on training-split images only); every other operation
of the graph — normalisation, the box decoding, score filter, top-k and NMS — stays in
float. The result is an ONNX file that onnxruntime and OpenVINO both run; its metadata
says ``precision: int8`` and records the calibration images, the versions and the val
mAP before and after, so a runner cannot take it for the FP32 model.

Example:
    >>> meta = quantize_onnx('sdn.onnx', 'sdn_int8.onnx', calibration_images)  # doctest: +SKIP
"""
import json
from typing import Dict, List, Sequence

import numpy as np

from mmdet_shuffledefect.datasets.neu_det import find_image, read_split_file

#: op types that are quantized; everything else in the graph stays float
QUANTIZED_OPS = ('Conv', )
#: convolutions kept in float by default: the stem (3 input channels) and the whole head.
#: On the published SSD this kept the test mAP (0.6216 INT8 vs 0.6138 FP32) where quantizing
#: them too lost 0.012 (patches -0.035; results/deployment_precision.md).
DEFAULT_KEEP_FLOAT = ('/backbone/conv1/.*', '/bbox_head/.*')


def calibration_stems(cfg, split: str) -> List[str]:
    """The image names of the config's training split, refusing any other split.

    Args:
        cfg (Config): The detector config.
        split (str): ``'train'``: calibration must not see val or test images.

    Raises:
        ValueError: ``split`` is not ``'train'``.
    """
    if split != 'train':
        raise ValueError(f'calibration must use the training split only (it would otherwise '
                         f'tune the model on the images it is evaluated on), got {split!r}')
    ds = cfg.train_dataloader.dataset
    while 'dataset' in ds:  # RepeatDataset and the like
        ds = ds.dataset
    import os.path as osp
    return read_split_file(osp.join(ds.data_root, ds.ann_file))


def calibration_batches(cfg, stems: Sequence[str], input_size, limit: int) -> List[np.ndarray]:
    """Up to ``limit`` training images as ``(1, 3, H, W)`` uint8 BGR, spread over the split."""
    import os.path as osp

    import cv2

    ds = cfg.train_dataloader.dataset
    while 'dataset' in ds:
        ds = ds.dataset
    folder = osp.join(ds.data_root, ds.data_prefix['img'])
    picks = np.linspace(0, len(stems) - 1, num=min(limit, len(stems))).round().astype(int)
    height, width = input_size
    batches = []
    for i in sorted(set(picks.tolist())):
        path = find_image(folder, stems[i])
        img = cv2.imread(path) if path else None
        if img is None:
            raise ValueError(f'calibration image {stems[i]} not found or unreadable in {folder}')
        batches.append(cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)
                       .transpose(2, 0, 1)[None].copy())
    return batches


def quantize_onnx(src: str, out: str, batches: Sequence[np.ndarray],
                  extra_meta: Dict[str, str], keep_float: Sequence[str] = ()) -> Dict[str, str]:
    """Quantize ``src`` with NNCF (per-channel INT8 weights, INT8 activations, convolutions
    only) on ``batches``; write ``out`` with the source's metadata plus ``extra_meta``.
    ``keep_float``: regular expressions of node names left in float too (e.g.
    ``'/bbox_head/.*'``).

    Returns:
        dict: The metadata written.
    """
    import logging

    import nncf
    import onnx
    # NNCF logs a line per graph node it leaves alone (over a thousand here): warnings only
    nncf.set_log_level(logging.WARNING)
    model = onnx.load(src)
    other_ops = sorted({n.op_type for n in model.graph.node} - set(QUANTIZED_OPS))
    quantized = nncf.quantize(
        model, nncf.Dataset(list(batches), lambda x: {'images': x}),
        subset_size=len(batches), preset=nncf.QuantizationPreset.PERFORMANCE,
        ignored_scope=nncf.IgnoredScope(types=other_ops, patterns=list(keep_float),
                                        validate=False))
    meta = {p.key: p.value for p in model.metadata_props}
    meta.update(extra_meta)
    meta.update(precision='int8', int8_ops=json.dumps(list(QUANTIZED_OPS)),
                keep_float=json.dumps(list(keep_float)), nncf=nncf.__version__,
                onnx=onnx.__version__)
    del quantized.metadata_props[:]
    onnx.helper.set_model_props(quantized, meta)
    onnx.save(quantized, out)
    return meta


__all__ = ['DEFAULT_KEEP_FLOAT', 'QUANTIZED_OPS', 'calibration_batches', 'calibration_stems', 'quantize_onnx']
