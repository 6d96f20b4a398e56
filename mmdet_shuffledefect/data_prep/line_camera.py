"""A stand-in for a line camera: writes distinct synthetic steel pictures into a folder
the way cameras do (write to ``name.jpg.tmp``, then rename), for the station's tests and
its load benchmark.

Pictures come from a pool of synthetic NEU-like pictures (:mod:`.synthetic`), each frame
stamped with its index (a row of black/white 8x8 blocks in the top-left corner), so no
two frames have the same content and the station records every one.

Example:
    >>> import tempfile
    >>> cam = LineCamera(tempfile.mkdtemp(), pool=2, seed=0)
    >>> [p.rsplit('/', 1)[-1] for p in cam.shoot(2)]
    ['frame_000000.jpg', 'frame_000001.jpg']
"""
import os
import os.path as osp
from typing import List, Tuple

import cv2
import numpy as np

from mmdet_shuffledefect.datasets.neu_classes import NEU_CLASSES
from .synthetic import make_det_image

STAMP_BITS = 24  # frames 0 .. 2**24 - 1 are told apart


class LineCamera:
    """Writes numbered, distinct synthetic pictures into ``folder``.

    Args:
        folder (str): Where the pictures go (created).
        pool (int): Distinct synthetic pictures to draw from. Defaults to 64.
        seed (int): Seed of the pool. Defaults to 0.
        rename (bool): Write ``.tmp`` then rename (a camera's atomic convention); False
            writes in place. Defaults to True.
        prefix (str): File name prefix. Defaults to 'frame_'.
        start (int): The first frame's index. Defaults to 0.
    """

    def __init__(self, folder: str, pool: int = 64, seed: int = 0, rename: bool = True,
                 prefix: str = 'frame_', start: int = 0) -> None:
        if pool < 1:
            raise ValueError(f'pool must be >= 1, got {pool}')
        os.makedirs(folder, exist_ok=True)
        rng = np.random.default_rng(seed)
        self.pool = []
        for i in range(pool):
            main = None if i % 10 == 9 else NEU_CLASSES[i % len(NEU_CLASSES)]
            self.pool.append(cv2.merge([make_det_image(rng, main)[0]] * 3))
        self.folder = folder
        self.rename = rename
        self.prefix = prefix
        self.index = start

    def frame(self, index: int) -> np.ndarray:
        """The picture of frame ``index`` (its stamp makes it unique)."""
        if not 0 <= index < 2 ** STAMP_BITS:
            raise ValueError(f'frame index must be in [0, {2 ** STAMP_BITS}), got {index}')
        img = self.pool[index % len(self.pool)].copy()
        for bit in range(STAMP_BITS):
            img[0:8, 8 * bit:8 * bit + 8] = 255 if (index >> bit) & 1 else 0
        return img

    def encode(self, n: int, quality: int = 90) -> List[Tuple[str, bytes]]:
        """The next ``n`` frames as (path, JPEG bytes), not written yet: a benchmark
        encodes before its clock starts, so the camera's work does not share the cores
        with the station it measures."""
        frames = []
        for _ in range(n):
            ok, jpg = cv2.imencode('.jpg', self.frame(self.index),
                                   [cv2.IMWRITE_JPEG_QUALITY, quality])
            frames.append((osp.join(self.folder, f'{self.prefix}{self.index:06d}.jpg'),
                           jpg.tobytes()))
            self.index += 1
        return frames

    def write(self, frames: List[Tuple[str, bytes]]) -> List[str]:
        """Write encoded frames as the camera does (``.tmp`` then rename, unless
        ``rename=False``); return their paths."""
        for path, data in frames:
            target = path + '.tmp' if self.rename else path
            with open(target, 'wb') as f:
                f.write(data)
            if self.rename:
                os.replace(target, path)
        return [path for path, _ in frames]

    def shoot(self, n: int, quality: int = 90) -> List[str]:
        """Encode and write the next ``n`` frames; return their paths."""
        return self.write(self.encode(n, quality))


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of ``width`` x ``height``: a few hundred KB on disk,
    ``width * height * 3`` bytes once decoded to BGR (what a station must refuse from the
    header).

    Example:
        >>> len(png_bomb(20000, 20000)) < 200_000
        True
    """
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (len(body).to_bytes(4, 'big') + kind + body +
                zlib.crc32(kind + body).to_bytes(4, 'big'))
    row = b'\0' + bytes((width + 7) // 8)
    ihdr = width.to_bytes(4, 'big') + height.to_bytes(4, 'big') + bytes([1, 0, 0, 0, 0])
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) +
            chunk(b'IDAT', zlib.compress(row * height, 9)) + chunk(b'IEND', b''))


__all__ = ['LineCamera', 'png_bomb']
