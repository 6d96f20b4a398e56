"""The whole detector as one ONNX graph, and running it with onnxruntime.

The exported graph takes a batch of uint8 BGR images ``(B, 3, H, W)`` at the
model's input size and does everything: channel order, normalisation,
backbone + neck + head, the head's batched post-processing (score filter,
top-k, decoding, clipping, class-aware NMS through ONNX ``NonMaxSuppression``)
and padding. Outputs: ``dets (B, max_per_img, 5)`` (x1, y1, x2, y2, score in
input pixels) and ``labels (B, max_per_img)`` (-1 where there is no detection).
The batch dimension is dynamic. The model's ``metadata_props`` record the
classes, the input size, mean/std and the channel order, so a runner can
check the file against a config (:meth:`OnnxDetector.check_config`), and the
checkpoint's alarm thresholds where it carries them (``inspection_score_thr``).

Example:
    >>> export_onnx('configs/sdn_ssd_neu.py', 'ckpt.pth', 'sdn.onnx')   # doctest: +SKIP
    >>> det = OnnxDetector('sdn.onnx', threads=2)                        # doctest: +SKIP
    >>> boxes, scores, labels = det.predict_images([cv2.imread('a.jpg')])[0]  # doctest: +SKIP
"""
import json
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmdet.apis import init_detector
from torch import nn

from mmdet_shuffledefect.models.dense_heads import BatchedPredictMixin, exported_detections
from mmdet_shuffledefect.utils.checkpoint_fit import checkpoint_meta
from mmdet_shuffledefect.utils.config_data import detector_classes
from mmdet_shuffledefect.utils.input_size import config_input_size
from mmdet_shuffledefect.utils.model_check import check_if_ours
from mmdet_shuffledefect.utils.score_thresholds import META_KEY

#: Keys of the metadata written into the ONNX file.
META_KEYS = ('classes', 'input_size', 'mean', 'std', 'bgr_to_rgb', 'max_per_img', 'config')


def preprocess_constants(data_preprocessor) -> Tuple[torch.Tensor, torch.Tensor, bool]:
    """``mean (1, 3, 1, 1)``, ``std (1, 3, 1, 1)`` and whether BGR -> RGB, of mmdet's
    ``DetDataPreprocessor`` (mean 0 / std 1 where it does not normalise)."""
    normalize = getattr(data_preprocessor, '_enable_normalize', False)
    mean = data_preprocessor.mean if normalize else torch.zeros(3, 1, 1)
    std = data_preprocessor.std if normalize else torch.ones(3, 1, 1)
    return (mean.view(1, 3, 1, 1).clone(), std.view(1, 3, 1, 1).clone(),
            bool(getattr(data_preprocessor, '_channel_conversion', False)))


def normalise(images: torch.Tensor, mean: torch.Tensor, std: torch.Tensor,
              bgr_to_rgb: bool) -> torch.Tensor:
    """uint8 ``(B, 3, H, W)`` images -> the float input of the detector's backbone."""
    x = images.float()
    if bgr_to_rgb:
        x = x[:, [2, 1, 0]]
    return (x - mean) / std


class ExportableDetector(nn.Module):
    """uint8 images in, padded detections out: the module that is exported.

    Args:
        detector: An mmdet single-stage detector whose ``bbox_head`` has the
            batched post-processing (``FastSSDHead``, ``FastRetinaHead``,
            ``FastRTMDetSepBNHead``).

    Raises:
        ValueError: The head has no batched path (named in the message).
    """

    def __init__(self, detector) -> None:
        super().__init__()
        head = getattr(detector, 'bbox_head', None)
        if not isinstance(head, BatchedPredictMixin):
            raise ValueError(
                f'cannot export {type(head).__name__}: whole-detector export needs a head with '
                'the batched post-processing path (FastSSDHead, FastRetinaHead or '
                'FastRTMDetSepBNHead); set model.bbox_head.type accordingly')
        blocker = head.batched_predict_blocker()
        if blocker is not None:
            raise ValueError(f'cannot export {type(head).__name__} with {blocker}: the exported '
                             'graph has the batched post-processing only')
        self.detector = detector
        mean, std, self.bgr_to_rgb = preprocess_constants(detector.data_preprocessor)
        self.register_buffer('mean', mean)
        self.register_buffer('std', std)

    def forward(self, images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``images``: uint8 ``(B, 3, H, W)`` BGR -> ``dets``, ``labels`` (padded)."""
        x = normalise(images, self.mean, self.std, self.bgr_to_rgb)
        head = self.detector.bbox_head
        cls_scores, bbox_preds = head(self.detector.extract_feat(x))
        return exported_detections(head, cls_scores, bbox_preds,
                                   (int(x.shape[2]), int(x.shape[3])), head.test_cfg)


def export_onnx(cfg, checkpoint: Optional[str], out_file: str, opset: int = 17,
                config_name: str = '') -> Dict[str, str]:
    """Export the whole detector of ``cfg`` with ``checkpoint`` to ``out_file``.

    Args:
        cfg (Config): Detector config (already loaded, own classes applied).
        checkpoint (str, optional): Weights; None exports random weights.
        out_file (str): The ``.onnx`` file to write.
        opset (int): ONNX opset. Defaults to 17.
        config_name (str): Recorded in the metadata. Defaults to ''.

    Returns:
        dict: The metadata written into the file.
    """
    import onnx  # optional (the deploy extra): export only
    model = init_detector(cfg, checkpoint, device='cpu').eval()
    check_if_ours(model, cfg)
    wrapper = ExportableDetector(model).eval()
    height, width = config_input_size(cfg)
    dummy = torch.randint(0, 256, (2, 3, height, width), dtype=torch.uint8)
    with torch.no_grad(), warnings.catch_warnings():
        # the tracer warns that shape-derived Python values (the input size, the number
        # of priors) become constants: intended, the graph is for this input size, and
        # export_onnx.verify checks the exported graph against the PyTorch detector
        warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)
        # advanced indexing is exported as Gather; its caveat is negative indices, and
        # every index here (anchor, box and image numbers) is >= 0 by construction
        warnings.filterwarnings('ignore', message='Exporting aten::index operator')
        torch.onnx.export(wrapper, (dummy, ), out_file, input_names=['images'],
                          output_names=['dets', 'labels'], opset_version=opset,
                          dynamic_axes={'images': {0: 'batch'}, 'dets': {0: 'batch'},
                                        'labels': {0: 'batch'}}, dynamo=False)
    meta = {
        'classes': json.dumps(list(model.dataset_meta.get('classes') or detector_classes(cfg))),
        'input_size': json.dumps([height, width]),
        'mean': json.dumps([float(v) for v in wrapper.mean.flatten()]),
        'std': json.dumps([float(v) for v in wrapper.std.flatten()]),
        'bgr_to_rgb': json.dumps(wrapper.bgr_to_rgb),
        'max_per_img': json.dumps(int(model.bbox_head.test_cfg.max_per_img)),
        'config': config_name,
    }
    if checkpoint:  # alarm thresholds chosen on these weights' scores go with them
        thresholds = checkpoint_meta(checkpoint).get(META_KEY)
        if thresholds is not None:
            meta[META_KEY] = json.dumps(thresholds)
    proto = onnx.load(out_file)
    onnx.helper.set_model_props(proto, meta)
    onnx.save(proto, out_file)
    return meta


class ExportedDetectorBase:
    """What every runtime's runner of an exported whole detector shares: the metadata
    :func:`export_onnx` writes (classes, input size), the config check and the
    detections of images of any size. Subclasses set ``backend`` and ``precision``
    (what actually ran) and implement ``__call__``.
    """

    backend = ''
    precision = 'f32'

    def _read_meta(self, path: str, meta: Dict[str, str]) -> None:
        missing = [k for k in ('classes', 'input_size') if k not in meta]
        if missing:
            raise ValueError(f'{path} has no {", ".join(missing)} in its metadata_props: '
                             'not written by tools/deployment/export_onnx.py')
        self.path = path
        self.meta = meta
        self.classes: Tuple[str, ...] = tuple(json.loads(meta['classes']))
        self.input_size: Tuple[int, int] = tuple(json.loads(meta['input_size']))
        #: 'int8' for a file of tools/deployment/quantize.py, else 'f32'
        self.file_precision: str = meta.get('precision', 'f32')
        #: the alarm thresholds of the exported checkpoint, or None
        #: (:mod:`mmdet_shuffledefect.utils.score_thresholds`)
        self.inspection_score_thr = json.loads(meta[META_KEY]) if META_KEY in meta else None

    @property
    def dataset_meta(self) -> Dict[str, Tuple[str, ...]]:
        """``{'classes': ...}`` as an mmdet model's ``dataset_meta`` (for inspection)."""
        return {'classes': self.classes}

    def describe(self) -> str:
        """One line: the runtime and the precision that ran."""
        return f'{self.backend}, precision {self.precision}'

    def check_config(self, cfg) -> None:
        """Refuse a config whose classes or input size differ from the file's.

        Raises:
            ValueError: Naming the file and what differs.
        """
        problems = []
        classes = detector_classes(cfg)
        if tuple(classes) != self.classes:
            problems.append(f'classes {list(self.classes)} in the file vs {list(classes)} in '
                            'the config')
        size = config_input_size(cfg)
        if tuple(size) != self.input_size:
            problems.append(f'input size (H, W) {list(self.input_size)} in the file vs '
                            f'{list(size)} in the config')
        if problems:
            raise ValueError(f'{self.path} does not match the config: ' + '; '.join(problems))

    def __call__(self, images: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """uint8 ``(B, 3, H, W)`` BGR at the input size -> ``dets``, ``labels``."""
        raise NotImplementedError

    def predict_images(self, imgs: Sequence[np.ndarray]
                       ) -> List[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Detections of HxWx3 BGR images of any size, in their own pixels.

        Each image is resized to the input size as mmdet's ``Resize``
        (bilinear, no kept ratio) and the boxes scaled back.
        """
        if not imgs:
            return []
        height, width = self.input_size
        batch = np.stack([cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)
                          .transpose(2, 0, 1) for img in imgs])
        dets, labels = self(batch)
        out = []
        for img, d, l in zip(imgs, dets, labels):
            keep = l >= 0
            sx, sy = img.shape[1] / width, img.shape[0] / height
            boxes = d[keep, :4] * np.array([sx, sy, sx, sy], dtype=np.float32)
            out.append((boxes, d[keep, 4], l[keep].astype(np.int64)))
        return out


class OnnxDetector(ExportedDetectorBase):
    """An exported whole detector run by onnxruntime on the CPU, as the file is (FP32, or
    INT8 convolutions for a file of ``tools/deployment/quantize.py``: ``precision``).

    Args:
        path (str): The ``.onnx`` file written by :func:`export_onnx`.
        threads (int, optional): onnxruntime intra-op threads. Defaults to
            None (onnxruntime's choice).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: The file lacks the metadata :func:`export_onnx` writes.
    """

    backend = 'onnxruntime'

    def __init__(self, path: str, threads: Optional[int] = None) -> None:
        import onnxruntime as ort  # optional (the deploy extra)
        if not osp.isfile(path):
            raise FileNotFoundError(f'ONNX file {path} does not exist')
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
        self._read_meta(path, self.session.get_modelmeta().custom_metadata_map)
        self.precision = self.file_precision  # onnxruntime runs the graph as it is

    def __call__(self, images: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """uint8 ``(B, 3, H, W)`` BGR at the input size -> ``dets``, ``labels``."""
        dets, labels = self.session.run(None, {'images': np.ascontiguousarray(images)})
        return dets, labels


__all__ = ['ExportableDetector', 'ExportedDetectorBase', 'META_KEYS', 'OnnxDetector',
           'config_input_size', 'export_onnx', 'normalise', 'preprocess_constants']
