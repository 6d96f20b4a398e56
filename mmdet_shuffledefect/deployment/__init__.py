"""Deployment: the whole detector exported to ONNX, run with onnxruntime or OpenVINO."""
# ``config_classes`` is the old name of ``utils.config_data.detector_classes``, kept here for
# one release (docs/layout.md)
from mmdet_shuffledefect.utils.config_data import detector_classes as config_classes

from .onnx_detector import (ExportableDetector, ExportedDetectorBase, OnnxDetector,
                            config_input_size, export_onnx)
from .openvino_detector import EXPORTED_BACKENDS, OpenVINODetector, load_exported

__all__ = ['EXPORTED_BACKENDS', 'ExportableDetector', 'ExportedDetectorBase', 'OnnxDetector',
           'OpenVINODetector', 'config_classes', 'config_input_size', 'export_onnx',
           'load_exported']
