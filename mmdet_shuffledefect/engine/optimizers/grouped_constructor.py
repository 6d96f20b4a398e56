"""An optimizer-wrapper constructor with few parameter groups and fused kernels.

mmengine's ``DefaultOptimWrapperConstructor`` gives every parameter its own
group as soon as ``paramwise_cfg`` is set (279 groups for the SSD detector),
so torch's multi-tensor and fused optimizer kernels cannot batch anything.
:class:`GroupedOptimWrapperConstructor` applies exactly mmengine's
per-parameter rules (``lr_mult``/``decay_mult`` of ``custom_keys``,
``bias_lr_mult``, ``bias_decay_mult``, ``norm_decay_mult``,
``dwconv_decay_mult``, ``flat_decay_mult`` ...) and then merges the parameters
whose option dicts are identical into one group (in order of first
appearance), and asks for ``fused=True`` where the optimizer supports it.
The update of every parameter is unchanged.

Example:
    >>> import torch.nn as nn
    >>> model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Conv2d(8, 4, 1))
    >>> ctor = GroupedOptimWrapperConstructor(
    ...     dict(optimizer=dict(type='AdamW', lr=0.004, weight_decay=0.05)),
    ...     dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
    >>> wrapper = ctor(model)
    >>> len(wrapper.optimizer.param_groups)   # decayed weights; bias and norm parameters
    2
"""
import inspect
from typing import Dict, List, Tuple

import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS


def group_by_options(groups: List[dict]) -> List[dict]:
    """Merge parameter groups whose options (everything but ``params``) are equal.

    Example:
        >>> a, b, c = (nn.Parameter(torch.zeros(1)) for _ in range(3))
        >>> merged = group_by_options([{'params': [a], 'lr': 1.0}, {'params': [b]},
        ...                            {'params': [c], 'lr': 1.0}])
        >>> [len(g['params']) for g in merged], merged[0]['lr']
        ([2, 1], 1.0)
    """
    merged: Dict[Tuple, dict] = {}
    for group in groups:
        options = {k: v for k, v in group.items() if k != 'params'}
        key = tuple(sorted((k, repr(v)) for k, v in options.items()))
        if key not in merged:
            merged[key] = dict(options, params=[])
        merged[key]['params'].extend(group['params'])
    return list(merged.values())


def _supports_fused(optimizer_cls, params: List[torch.Tensor]) -> bool:
    if 'fused' not in inspect.signature(optimizer_cls).parameters:
        return False
    devices = {p.device.type for p in params}
    return bool(devices) and devices <= {'cpu', 'cuda'} and all(
        p.dtype in (torch.float32, torch.float16, torch.bfloat16, torch.float64) for p in params)


def _clear_resume_errors(wrapper: OptimWrapper) -> OptimWrapper:
    """Make loading an optimizer state of another group layout fail with the cause."""
    load = wrapper.load_state_dict

    def load_state_dict(state_dict: dict) -> None:
        try:
            load(state_dict)
        except ValueError as err:
            theirs = len((state_dict.get('param_groups') or []))
            ours = len(wrapper.optimizer.param_groups)
            raise ValueError(
                f'cannot resume the optimizer state: the checkpoint has {theirs} parameter '
                f'groups, this run {ours} ({err}). GroupedOptimWrapperConstructor merges '
                "parameters with equal options; a checkpoint written with mmengine's "
                'DefaultOptimWrapperConstructor (one group per parameter) resumes with '
                "optim_wrapper.constructor='DefaultOptimWrapperConstructor', or start from its "
                'weights with load_from instead of --resume') from None

    wrapper.load_state_dict = load_state_dict
    return wrapper


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class GroupedOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's constructor with parameters grouped by equal options, fused if possible.

    Args:
        optim_wrapper_cfg (dict): As mmengine's. ``optimizer.fused`` or
            ``optimizer.foreach`` given there are respected; otherwise
            ``fused=True`` is added where the optimizer class takes it and every
            parameter is a float tensor on the CPU or CUDA.
        paramwise_cfg (dict, optional): As mmengine's.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        from mmengine.registry import OPTIM_WRAPPERS, OPTIMIZERS
        optimizer_cfg = self.optimizer_cfg.copy()
        optimizer_cls = optimizer_cfg['type']
        if isinstance(optimizer_cls, str):
            with OPTIMIZERS.switch_scope_and_registry(None) as registry:
                optimizer_cls = registry.get(optimizer_cfg['type'])
        first_arg = next(iter(inspect.signature(optimizer_cls).parameters))
        if self.paramwise_cfg:
            per_param: List[dict] = []
            logger = MMLogger.get_current_instance()
            level = logger.level
            logger.setLevel('WARNING')  # mmengine logs one line per parameter
            try:
                self.add_params(per_param, model)
            finally:
                logger.setLevel(level)
            groups = group_by_options(per_param)
            params = [p for g in groups for p in g['params']]
        else:
            params = [p for p in model.parameters() if p.requires_grad]
            groups = [dict(params=params)]
        if ('fused' not in optimizer_cfg and 'foreach' not in optimizer_cfg
                and _supports_fused(optimizer_cls, params)):
            optimizer_cfg['fused'] = True
        optimizer_cfg[first_arg] = groups
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        wrapper_cfg = self.optim_wrapper_cfg.copy()
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        wrapper = OPTIM_WRAPPERS.build(wrapper_cfg, default_args=dict(optimizer=optimizer))
        MMLogger.get_current_instance().info(
            f'GroupedOptimWrapperConstructor: {len(params)} parameters in {len(groups)} '
            f"groups, fused={optimizer_cfg.get('fused', False)}")
        return _clear_resume_errors(wrapper)
