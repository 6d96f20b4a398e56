from .grouped_constructor import GroupedOptimWrapperConstructor, group_by_options

__all__ = ['GroupedOptimWrapperConstructor', 'group_by_options']
