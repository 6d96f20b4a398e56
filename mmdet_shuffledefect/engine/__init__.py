from .dist_info_hook import DistInfoHook
from .optimizers import GroupedOptimWrapperConstructor, group_by_options

__all__ = ['DistInfoHook', 'GroupedOptimWrapperConstructor', 'group_by_options']
