from .shuffle_units import ShuffleDefectUnit, ShuffleV2Unit, round_up_to_multiple

__all__ = ['ShuffleDefectUnit', 'ShuffleV2Unit', 'round_up_to_multiple']
