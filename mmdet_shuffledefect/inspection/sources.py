"""What an inspection reads: pictures and videos named on the command line or found in a
folder, read as bytes (any file name; sizes checked from the header first) and decoded.

Example:
    >>> inputs = read_inputs(list_inputs('pictures/'), video_every=5)  # doctest: +SKIP
    >>> for name, img, why_not in inputs:                              # doctest: +SKIP
    ...     print(name, None if img is None else img.shape, why_not)
"""
import os
import os.path as osp
from typing import Iterable, Iterator, List, Optional, Tuple

import cv2
import numpy as np

from mmdet_shuffledefect.datasets.neu_det import IMAGE_SUFFIXES

from .picture_files import read_picture

VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv')


def list_inputs(source: str) -> List[str]:
    """An image, a video, or every image/video in a folder (sorted)."""
    if osp.isdir(source):
        return sorted(osp.join(source, f) for f in os.listdir(source)
                      if f.lower().endswith(IMAGE_SUFFIXES + VIDEO_SUFFIXES))
    if not osp.exists(source):
        raise FileNotFoundError(f'input {source} does not exist')
    return [source]


def read_frames(path: str, every: int
                ) -> Iterator[Tuple[str, Optional[np.ndarray], Optional[str]]]:
    """``(name#frameNNNNNN, frame, None)`` for every ``every``-th frame of a video, or one
    ``(path, None, why)`` when it cannot be opened."""
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        yield path, None, 'cannot be opened as a video'
        return
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % every == 0:
            yield f'{path}#frame{index:06d}', frame, None
        index += 1
    cap.release()


def read_inputs(paths: Iterable[str], video_every: int
                ) -> Iterator[Tuple[str, Optional[np.ndarray], Optional[str]]]:
    """``(name, picture or None, why not)`` for every picture and sampled video frame."""
    for path in paths:
        if path.lower().endswith(VIDEO_SUFFIXES):
            yield from read_frames(path, video_every)
        else:  # read as bytes (any file name), size checked from the header first
            picture = read_picture(path)
            yield path, picture.img, picture.error
