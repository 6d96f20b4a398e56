"""Deployment: the whole detector exported to ONNX, run with onnxruntime or OpenVINO."""
from .onnx_detector import (ExportableDetector, ExportedDetectorBase, OnnxDetector,
                            config_classes, config_input_size, export_onnx)
from .openvino_detector import EXPORTED_BACKENDS, OpenVINODetector, load_exported

__all__ = ['EXPORTED_BACKENDS', 'ExportableDetector', 'ExportedDetectorBase', 'OnnxDetector',
           'OpenVINODetector', 'config_classes', 'config_input_size', 'export_onnx',
           'load_exported']
