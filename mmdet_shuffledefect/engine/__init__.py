from .dist_info_hook import DistInfoHook
from .optimizers import CPUBF16OptimWrapper, GroupedOptimWrapperConstructor, group_by_options

__all__ = ['CPUBF16OptimWrapper', 'DistInfoHook', 'GroupedOptimWrapperConstructor',
           'group_by_options']
