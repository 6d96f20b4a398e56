"""The exported whole detector run by OpenVINO on the CPU, at an explicit precision.

OpenVINO reads the ``.onnx`` file of :func:`~.onnx_detector.export_onnx` as it is
(the same graph, metadata and outputs as onnxruntime's). Its CPU plugin, left to
itself, runs in bf16 where the CPU has bf16 instructions (recent Xeons), which
changes the detections; here the precision is always asked for
(``INFERENCE_PRECISION_HINT``) and read back from the compiled model, and a
precision the CPU cannot run is refused instead of silently replaced.

Example:
    >>> det = OpenVINODetector('sdn.onnx', threads=2, precision='f32')  # doctest: +SKIP
    >>> det.describe()                                                   # doctest: +SKIP
    'openvino 2026.4.1, precision f32'
"""
import os.path as osp
from typing import Dict, Optional, Tuple

import numpy as np

from .onnx_detector import ExportedDetectorBase, OnnxDetector

#: ``--precision`` value -> OpenVINO's ``INFERENCE_PRECISION_HINT`` element type name (an
#: INT8 file runs its quantized convolutions in INT8 and the rest of the graph in f32)
PRECISIONS: Dict[str, str] = {'f32': 'f32', 'bf16': 'bf16', 'int8': 'f32'}


def check_file_precision(path: str, file_precision: str, precision: str) -> None:
    """Refuse running an INT8 file as another precision, or an FP32 file as INT8.

    Raises:
        ValueError: Naming the file, what it is and what was asked.
    """
    if (file_precision == 'int8') != (precision == 'int8'):
        hint = ('quantize it first: tools/deployment/quantize.py' if precision == 'int8'
                else 'say --precision int8')
        raise ValueError(f'{path} is a {file_precision} model, asked to run it as '
                         f'{precision}: {hint}')


def import_openvino():
    """``openvino``, or an ImportError that says how to install it."""
    try:
        import openvino
    except ImportError as err:
        raise ImportError('--backend openvino needs the openvino package (in '
                          'requirements/runtime.txt; `pip install openvino`): '
                          f'{err}') from err
    return openvino


def onnx_metadata(path: str) -> Dict[str, str]:
    """The ``metadata_props`` of an ONNX file, read without loading its weights."""
    import onnx
    proto = onnx.load(path, load_external_data=False)
    return {p.key: p.value for p in proto.metadata_props}


class OpenVINODetector(ExportedDetectorBase):
    """An exported whole detector (``.onnx``) compiled by OpenVINO for the CPU.

    Args:
        path (str): The ``.onnx`` file written by :func:`export_onnx`.
        threads (int, optional): OpenVINO inference threads
            (``INFERENCE_NUM_THREADS``). Defaults to None (OpenVINO's choice).
        precision (str): ``'f32'`` (default), ``'bf16'`` or, for a file of
            ``tools/deployment/quantize.py``, ``'int8'`` (:data:`PRECISIONS`).
            ``precision`` afterwards is what OpenVINO reports it compiled, which
            is the one asked for (else this raises).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: An unknown precision, one the CPU cannot run, or a file
            without :func:`export_onnx`'s metadata.
        ImportError: openvino is not installed (the message says how).
    """

    def __init__(self, path: str, threads: Optional[int] = None,
                 precision: str = 'f32') -> None:
        if precision not in PRECISIONS:
            raise ValueError(f'precision must be one of {sorted(PRECISIONS)}, got '
                             f'{precision!r}')
        if not osp.isfile(path):
            raise FileNotFoundError(f'ONNX file {path} does not exist')
        ov = import_openvino()
        self._read_meta(path, onnx_metadata(path))
        check_file_precision(path, self.file_precision, precision)
        core = ov.Core()
        if precision == 'bf16':
            caps = core.get_property('CPU', 'OPTIMIZATION_CAPABILITIES')
            if 'BF16' not in caps:
                raise ValueError(f'precision bf16: this CPU has no bf16 support in OpenVINO '
                                 f'(its capabilities: {", ".join(caps)}); use f32')
        config = {'INFERENCE_PRECISION_HINT': PRECISIONS[precision]}
        if threads:
            config['INFERENCE_NUM_THREADS'] = int(threads)
        self.compiled = core.compile_model(core.read_model(path), 'CPU', config)
        ran = self.compiled.get_property('INFERENCE_PRECISION_HINT')
        ran = ran.get_type_name() if hasattr(ran, 'get_type_name') else str(ran)
        if ran != PRECISIONS[precision]:
            raise ValueError(f'asked OpenVINO for {precision}, it compiled {ran}')
        self.precision = precision
        self.backend = f'openvino {ov.__version__.split("-")[0]}'
        self.request = self.compiled.create_infer_request()

    def __call__(self, images: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """uint8 ``(B, 3, H, W)`` BGR at the input size -> ``dets``, ``labels``."""
        result = self.request.infer({'images': np.ascontiguousarray(images)})
        return (np.asarray(result[self.compiled.output('dets')]),
                np.asarray(result[self.compiled.output('labels')]))


#: ``--backend`` value -> runner of an exported file
EXPORTED_BACKENDS = {'onnxruntime': OnnxDetector, 'openvino': OpenVINODetector}


def load_exported(path: str, backend: str, threads: Optional[int] = None,
                  precision: str = 'f32') -> ExportedDetectorBase:
    """The runner of ``backend`` (:data:`EXPORTED_BACKENDS`) for an exported file.

    Raises:
        ValueError: An unknown backend, or a precision the backend does not run
            (onnxruntime runs f32 only).

    Example:
        >>> load_exported('sdn.onnx', 'onnxruntime', precision='bf16')
        Traceback (most recent call last):
        ...
        ValueError: --backend onnxruntime runs precision f32 (or an INT8 file) only, got 'bf16' (bf16: --backend openvino)
    """
    if backend not in EXPORTED_BACKENDS:
        raise ValueError(f'backend must be one of {sorted(EXPORTED_BACKENDS)}, got {backend!r}')
    if backend == 'onnxruntime':
        if precision == 'bf16':
            raise ValueError(f'--backend onnxruntime runs precision f32 (or an INT8 file) only, '
                             f'got {precision!r} (bf16: --backend openvino)')
        model = OnnxDetector(path, threads=threads)
        check_file_precision(path, model.file_precision, precision)
        return model
    return OpenVINODetector(path, threads=threads, precision=precision)


__all__ = ['EXPORTED_BACKENDS', 'OpenVINODetector', 'PRECISIONS', 'load_exported',
           'onnx_metadata']
