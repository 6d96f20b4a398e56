"""bf16 mixed-precision training on the CPU: fp32 weights, bf16 autocast forward.

mmengine's ``AmpOptimWrapper`` refuses a machine without a CUDA, NPU, MLU or
MUSA device. CPUs with AMX or AVX512-BF16 run convolutions and matrix
products in bf16 faster than in fp32 (a ResNet34 training step 1.8-1.9x on a
2-core AMD EPYC with AVX512-BF16, results/neu_cls_convergence.md), so
:class:`CPUBF16OptimWrapper` gives them the same
recipe as GPU mixed precision: the parameters, gradients and optimizer state
stay fp32, and only the training forward runs under
``torch.autocast('cpu', dtype=torch.bfloat16)``. bf16 keeps fp32's exponent
range, so no loss scaling is needed. Validation and testing are not wrapped:
they run in fp32.

The precision is never silent: the wrapper logs it once when built, with a
warning where the CPU has no native bf16 (then autocast is emulated and
slower than fp32).

Example (a config, or ``--cfg-options optim_wrapper.type=CPUBF16OptimWrapper``)::

    optim_wrapper = dict(type='CPUBF16OptimWrapper',
                         optimizer=dict(type='AdamW', lr=0.002))
"""
from contextlib import contextmanager
from typing import Iterator

import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


def cpu_has_native_bf16() -> bool:
    """Whether oneDNN reports bf16 kernels (AVX512-BF16 or AMX) on this CPU."""
    probe = getattr(torch.ops.mkldnn, '_is_mkldnn_bf16_supported', None)
    return bool(probe is not None and probe())


@OPTIM_WRAPPERS.register_module()
class CPUBF16OptimWrapper(OptimWrapper):
    """An :class:`~mmengine.optim.OptimWrapper` whose training forward runs in bf16.

    Args:
        **kwargs: As :class:`~mmengine.optim.OptimWrapper` (``optimizer``,
            ``accumulative_counts``, ``clip_grad``).

    Raises:
        ValueError: If a parameter of the optimizer is not a float32 CPU
            tensor (the wrapper is for fp32 models trained on the CPU).
    """

    cast_dtype = torch.bfloat16

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        for group in self.optimizer.param_groups:
            for p in group['params']:
                if p.device.type != 'cpu' or p.dtype != torch.float32:
                    raise ValueError(
                        'CPUBF16OptimWrapper trains fp32 parameters on the CPU; got a '
                        f'{p.dtype} parameter on {p.device}. On a GPU use '
                        "AmpOptimWrapper (tools/train.py --amp).")
        native = cpu_has_native_bf16()
        logger = MMLogger.get_current_instance()
        logger.info('precision: bf16 autocast for the training forward on the CPU (fp32 '
                    'weights, gradients and optimizer state; validation and test in fp32)')
        if not native:
            logger.warning('this CPU has no native bf16 (AVX512-BF16 or AMX): autocast is '
                           'emulated and slower than fp32')

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """The parent's context (gradient accumulation) with bf16 autocast inside."""
        with super().optim_context(model), torch.autocast('cpu', dtype=torch.bfloat16):
            yield
