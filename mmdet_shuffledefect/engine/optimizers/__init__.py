from .cpu_bf16_wrapper import CPUBF16OptimWrapper, cpu_has_native_bf16
from .grouped_constructor import GroupedOptimWrapperConstructor, group_by_options

__all__ = ['CPUBF16OptimWrapper', 'GroupedOptimWrapperConstructor', 'cpu_has_native_bf16',
           'group_by_options']
