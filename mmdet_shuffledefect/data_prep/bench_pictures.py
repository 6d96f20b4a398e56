"""Steel pictures for the speed benchmarks (``tools/analysis_tools/benchmark.py``,
``deployment_table.py``, ``profile_onnx.py``, ``profile_post_process.py``).

The post-processing time depends on how many candidates the pictures give, so the
benchmarks run on steel-like pictures (a folder of real ones, or the synthetic sample),
never on noise.

Example:
    >>> batch = picture_batch(load_pictures(None, 4), 8, 192, 192)
    >>> batch.shape, batch.dtype
    ((8, 3, 192, 192), dtype('uint8'))
"""
import os
import os.path as osp
import tempfile
from typing import List, Optional

import cv2
import numpy as np

from mmdet_shuffledefect.datasets.neu_det import IMAGE_SUFFIXES
from mmdet_shuffledefect.utils.tool_errors import fail

from .synthetic import write_neu_det


def load_pictures(folder: Optional[str], count: int) -> List[np.ndarray]:
    """``count`` BGR steel pictures, spread over ``folder`` (NEU's files are sorted by
    class), or the synthetic sample's where ``folder`` is None.

    Raises:
        NotADirectoryError: ``folder`` is not a folder.
        ValueError: ``folder`` holds no readable picture.
    """
    with tempfile.TemporaryDirectory() as tmp:
        if folder is None:
            write_neu_det(tmp, num_images=max(count, 12), seed=0)
            folder = osp.join(tmp, 'IMAGES')
        if not osp.isdir(folder):
            raise NotADirectoryError(f'--images {folder} is not a folder')
        names = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_SUFFIXES))
        step = max(1, len(names) // count)
        pictures = [cv2.imread(osp.join(folder, n)) for n in names[::step][:count]]
    pictures = [p for p in pictures if p is not None]
    if not pictures:
        raise ValueError(f'no readable image in {folder} (expected {", ".join(IMAGE_SUFFIXES)})')
    return pictures


def picture_batch(pictures: List[np.ndarray], count: int, height: int,
                  width: int) -> np.ndarray:
    """uint8 ``(count, 3, height, width)`` BGR, contiguous: the pictures in turn, each
    resized as mmdet's ``Resize`` (bilinear, no kept ratio)."""
    return np.ascontiguousarray(np.stack([
        cv2.resize(pictures[i % len(pictures)], (width, height),
                   interpolation=cv2.INTER_LINEAR).transpose(2, 0, 1) for i in range(count)]))


def load_pictures_or_exit(folder: Optional[str], count: int) -> List[np.ndarray]:
    """:func:`load_pictures` for a tool's ``--images``: one ``error:`` line and exit 2
    where it is not a folder, exit 1 where the folder holds no readable picture."""
    try:
        return load_pictures(folder, count)
    except NotADirectoryError as err:
        fail(str(err))
    except ValueError as err:
        fail(str(err), code=1)


__all__ = ['load_pictures', 'load_pictures_or_exit', 'picture_batch']
