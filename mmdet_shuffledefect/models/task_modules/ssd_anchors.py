"""SSD anchors written once, at a reference input size, that follow the input size.

mmdet's ``SSDAnchorGenerator`` takes its strides and anchor sizes in pixels, so a
config written for 192 px (strides 8 ... 192, sizes 16 ... 198) is wrong at 256 or
320 px: the strides no longer match the feature maps and the anchors cover a smaller
part of the picture. :class:`InputScaledSSDAnchorGenerator` derives both from
``input_size``:

* strides: ``input_size / side`` of each level's feature map, the sides those of
  ShuffleDefectNet + the fusion neck (``ceil(input_size / first_stride)``, then a
  halving rounded up per level: 24, 12, 6, 3, 2, 1 at 192 px; 40, 20, 10, 5, 3, 2
  at 320 px);
* anchor sizes: the ones given for ``reference_size``, times ``input_size /
  reference_size`` (the same share of the picture at every input size).

At the reference size the anchors are exactly the written-out ones.

Example:
    >>> ssd_level_strides(320, 6)
    [8.0, 16.0, 32.0, 64.0, 106.66666666666667, 160.0]
    >>> gen = InputScaledSSDAnchorGenerator(
    ...     input_size=256, ratios=[[2]] * 2, min_sizes=[16, 38], max_sizes=[38, 70],
    ...     first_stride=8)
    >>> gen.strides, [round(s, 2) for s in gen.min_sizes]
    ([(8.0, 8.0), (16.0, 16.0)], [21.33, 50.67])
"""
import math
from typing import List, Sequence

from mmdet.models.task_modules.prior_generators import SSDAnchorGenerator
from mmdet.registry import TASK_UTILS


def ssd_level_strides(input_size: int, num_levels: int, first_stride: int = 8) -> List[float]:
    """Stride (input pixels per feature cell) of each level: ``input_size / side``.

    Args:
        input_size (int): Square input side in pixels.
        num_levels (int): Levels of the head.
        first_stride (int): The first level's nominal stride (its side is
            ``ceil(input_size / first_stride)``); each later level halves the side,
            rounding up (3x3 stride-2 convolutions with padding 1). Defaults to 8.

    Raises:
        ValueError: A level would have a side below 1 pixel's worth, or bad arguments.

    Example:
        >>> ssd_level_strides(192, 6)
        [8.0, 16.0, 32.0, 64.0, 96.0, 192.0]
    """
    if input_size < 1 or num_levels < 1 or first_stride < 1:
        raise ValueError(f'input_size, num_levels and first_stride must be >= 1, got '
                         f'{input_size}, {num_levels}, {first_stride}')
    side = math.ceil(input_size / first_stride)
    strides = []
    for _ in range(num_levels):
        strides.append(input_size / side)
        side = math.ceil(side / 2)
    return strides


@TASK_UTILS.register_module()
class InputScaledSSDAnchorGenerator(SSDAnchorGenerator):
    """mmdet's ``SSDAnchorGenerator`` with strides and sizes that follow ``input_size``.

    Args:
        input_size (int): The model's (square) input side in pixels.
        ratios (Sequence[Sequence[float]]): Aspect ratios of each level, as mmdet's.
        min_sizes (Sequence[float]): Smallest anchor of each level at ``reference_size``.
        max_sizes (Sequence[float]): Largest anchor of each level at ``reference_size``.
        reference_size (int): The input size the sizes are written for. Defaults to 192.
        first_stride (int): See :func:`ssd_level_strides`. Defaults to 8.
        scale_major (bool): As mmdet's. Defaults to False.

    Raises:
        ValueError: The sizes and ratios do not give one entry per level.
    """

    def __init__(self, input_size: int, ratios: Sequence[Sequence[float]],
                 min_sizes: Sequence[float], max_sizes: Sequence[float],
                 reference_size: int = 192, first_stride: int = 8,
                 scale_major: bool = False) -> None:
        if not len(ratios) == len(min_sizes) == len(max_sizes):
            raise ValueError(f'one entry per level needed: {len(ratios)} ratios, '
                             f'{len(min_sizes)} min_sizes, {len(max_sizes)} max_sizes')
        if reference_size < 1:
            raise ValueError(f'reference_size must be >= 1, got {reference_size}')
        scale = input_size / reference_size
        #: the anchor sizes at this input size
        self.min_sizes = [s * scale for s in min_sizes]
        self.max_sizes = [s * scale for s in max_sizes]
        super().__init__(strides=ssd_level_strides(input_size, len(ratios), first_stride),
                         ratios=ratios, min_sizes=self.min_sizes, max_sizes=self.max_sizes,
                         input_size=input_size, scale_major=scale_major)


__all__ = ['InputScaledSSDAnchorGenerator', 'ssd_level_strides']
