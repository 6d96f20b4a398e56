from .shuffle_units import (ShuffleDefectUnit, ShuffleV2Unit, channel_shuffle,
                            make_divisible)

__all__ = ['ShuffleDefectUnit', 'ShuffleV2Unit', 'channel_shuffle', 'make_divisible']
