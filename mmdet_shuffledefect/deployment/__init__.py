"""Deployment: the whole detector exported to ONNX and run with onnxruntime."""
from .onnx_detector import (ExportableDetector, OnnxDetector, config_classes, config_input_size,
                            export_onnx)

__all__ = ['ExportableDetector', 'OnnxDetector', 'config_classes', 'config_input_size',
           'export_onnx']
