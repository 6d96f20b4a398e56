"""Completed local binary patterns (CLBP) and their adjacent-evaluation variant (AECLBP).

CLBP (Guo, Zhang and Zhang, IEEE TIP 19(6), 2010) splits the local difference
``d_p = g_p - g_c`` between each of ``P`` neighbours on a circle of radius ``R``
and the centre pixel into three codes:

* ``S`` (sign): ``s(d_p) = d_p >= 0`` — the classic LBP;
* ``M`` (magnitude): ``|d_p| >= c_M``, with ``c_M`` the mean ``|d_p|`` over the image;
* ``C`` (centre): ``g_c >= c_I``, with ``c_I`` the mean grey level of the image.

``S`` and ``M`` are mapped to rotation-invariant uniform codes (``riu2``:
``P + 2`` values) and the image is described by the joint ``S/M/C`` histogram
(``(P + 2) * (P + 2) * 2`` bins) per scale, concatenated over the scales.

AECLBP (Song and Yan, Applied Surface Science 285, 2013, the paper that
published NEU) makes the codes robust to noise with an *adjacent evaluation
window* around each neighbour: the neighbour ``g_p`` is the evaluation centre
of a ``window x window`` patch, and its value in the code is the evaluation
value ``a_p``, the mean of that patch with ``g_p`` itself left out, so
``d_p = a_p - g_c`` for the sign and magnitude codes; the centre code stays
``g_c`` against the image mean. Our reading of the definition (the paper's own
text was not reachable here); the other reading, ``g_p - a_p``, changes *more*
than CLBP under added noise on the test textures, this one about half as much
(``tests/test_study/test_classical.py``), which is the property the paper is named for.

Every code is invariant to a grey-level shift; the ``riu2`` codes are invariant
to rotations by multiples of ``2 * pi / P`` (exactly so for 90-degree turns of
the image with ``P`` a multiple of 4).

Example:
    >>> import numpy as np
    >>> img = np.random.default_rng(0).integers(0, 256, (64, 64)).astype(np.uint8)
    >>> d = CLBPDescriptor(scales=((8, 1), (16, 2)))
    >>> d(img).shape, d.num_features
    ((848,), 848)
    >>> ae = CLBPDescriptor(scales=((8, 1),), adjacent_evaluation=True)
    >>> round(float(ae(img).sum()), 6)  # one normalised histogram per scale
    1.0
"""
from typing import Sequence, Tuple

import cv2
import numpy as np

Scale = Tuple[int, int]


def as_grey(image: np.ndarray, min_size: int) -> np.ndarray:
    """``image`` as a 2-D float64 grey picture, or a ``ValueError`` saying why not.

    A 3-channel picture is accepted when its channels are equal (NEU's JPEGs are
    grey pictures stored as BGR); a colour picture is refused.

    Args:
        image (np.ndarray): (H, W), (H, W, 1) or (H, W, 3) array.
        min_size (int): Smallest height and width accepted.

    Returns:
        np.ndarray: (H, W) float64.
    """
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    elif arr.ndim == 3 and arr.shape[2] in (3, 4):
        channels = arr[:, :, :3].astype(np.int32)
        if not (np.abs(channels - channels[:, :, :1]).max() <= 1):
            raise ValueError(
                f'expected a grey picture, got {arr.shape[2]} channels that differ (largest '
                f'difference {int(np.abs(channels - channels[:, :, :1]).max())} grey levels); '
                'texture descriptors here are defined on grey levels')
        arr = arr[:, :, 0]
    if arr.ndim != 2:
        raise ValueError(f'expected a 2-D grey picture, got an array of shape {arr.shape}')
    if min(arr.shape) < min_size:
        raise ValueError(f'picture of {arr.shape[0]}x{arr.shape[1]} px is too small: these '
                         f'scales need at least {min_size}x{min_size} px')
    return arr.astype(np.float64)


def riu2_lookup(points: int) -> np.ndarray:
    """Rotation-invariant uniform mapping of the ``2**points`` codes to ``points + 2`` values.

    A code with at most two circular 0/1 transitions maps to its number of ones
    (0..P); every other code maps to ``P + 1``.

    Example:
        >>> table = riu2_lookup(8)
        >>> int(table[0b00000000]), int(table[0b00011100]), int(table[0b01010101])
        (0, 3, 9)
    """
    if points < 1 or points > 24:
        raise ValueError(f'points must be in 1..24 for a lookup table, got {points}')
    codes = np.arange(2 ** points, dtype=np.int64)
    bits = (codes[:, None] >> np.arange(points)) & 1
    transitions = (bits != np.roll(bits, 1, axis=1)).sum(1)
    return np.where(transitions <= 2, bits.sum(1), points + 1).astype(np.int64)


def riu2_codes(bits: np.ndarray) -> np.ndarray:
    """``riu2`` code of each pixel from its (P, H, W) boolean neighbour bits."""
    points = bits.shape[0]
    ones = bits.sum(0)
    transitions = (bits != np.roll(bits, 1, axis=0)).sum(0)
    return np.where(transitions <= 2, ones, points + 1)


def neighbour_offsets(points: int, radius: float) -> np.ndarray:
    """(P, 2) ``(dy, dx)`` of the sampling points, counter-clockwise from the right,
    rounded so that points on the pixel grid are exactly on it."""
    angles = 2 * np.pi * np.arange(points) / points
    return np.round(np.stack([-radius * np.sin(angles), radius * np.cos(angles)], 1), 9)


def sample(image: np.ndarray, dy: float, dx: float, margin: int) -> np.ndarray:
    """``image`` bilinearly sampled at ``(y + dy, x + dx)`` for every pixel of the
    interior ``image[margin:-margin, margin:-margin]``."""
    h, w = image.shape
    y0, x0 = int(np.floor(dy)), int(np.floor(dx))
    fy, fx = dy - y0, dx - x0

    def shifted(oy: int, ox: int) -> np.ndarray:
        return image[margin + oy:h - margin + oy, margin + ox:w - margin + ox]

    out = (1 - fy) * (1 - fx) * shifted(y0, x0)
    if fx > 0:
        out = out + (1 - fy) * fx * shifted(y0, x0 + 1)
    if fy > 0:
        out = out + fy * (1 - fx) * shifted(y0 + 1, x0)
    if fx > 0 and fy > 0:
        out = out + fy * fx * shifted(y0 + 1, x0 + 1)
    return out


def adjacent_mean(image: np.ndarray, window: int) -> np.ndarray:
    """Mean of the ``window x window`` patch around each pixel, the pixel itself left
    out (the adjacent evaluation value); borders reflected."""
    total = cv2.boxFilter(image, cv2.CV_64F, (window, window), normalize=False,
                          borderType=cv2.BORDER_REFLECT)
    return (total - image) / (window * window - 1)


def clbp_codes(image: np.ndarray, points: int, radius: float, adjacent_window: int = 0
               ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-pixel ``(S, M, C)`` codes of the interior of a grey ``image``.

    Args:
        image (np.ndarray): (H, W) float grey picture.
        points (int): Neighbours P on the circle.
        radius (float): Circle radius R in pixels.
        adjacent_window (int): 0 for CLBP (each neighbour's own grey level is compared
            with the centre); an odd window size >= 3 for AECLBP (its adjacent
            evaluation value is).

    Returns:
        tuple: ``S`` and ``M`` riu2 codes (0..P+1) and the ``C`` bit (0/1), each
        (H - 2m, W - 2m) with ``m = ceil(R) + adjacent_window // 2``.
    """
    margin = int(np.ceil(radius)) + adjacent_window // 2
    centre = image[margin:image.shape[0] - margin, margin:image.shape[1] - margin]
    values = adjacent_mean(image, adjacent_window) if adjacent_window else image
    diff = np.stack([sample(values, dy, dx, margin) - centre
                     for dy, dx in neighbour_offsets(points, radius)])
    magnitude = np.abs(diff)
    s_code = riu2_codes(diff >= 0)
    m_code = riu2_codes(magnitude >= magnitude.mean())
    c_code = (centre >= image.mean()).astype(np.int64)
    return s_code, m_code, c_code


class CLBPDescriptor:
    """Multi-scale joint ``S/M/C`` histogram of CLBP or AECLBP codes.

    Args:
        scales (Sequence[tuple[int, int]]): ``(P, R)`` per scale. Defaults to
            ``((8, 1), (16, 2), (24, 3))``, the scales of the CLBP paper.
        adjacent_evaluation (bool): AECLBP instead of CLBP. Defaults to False.
        window (int): Adjacent evaluation window (odd, >= 3). Defaults to 3.

    Example:
        >>> import numpy as np
        >>> CLBPDescriptor(scales=((8, 1),))(np.eye(20) * 255).shape
        (200,)
    """

    def __init__(self, scales: Sequence[Scale] = ((8, 1), (16, 2), (24, 3)),
                 adjacent_evaluation: bool = False, window: int = 3) -> None:
        scales = tuple(tuple(s) for s in scales)
        if not scales or not all(len(s) == 2 and int(s[0]) >= 4 and s[1] > 0 for s in scales):
            raise ValueError(f'scales must be (P >= 4, R > 0) pairs, got {scales!r}')
        if window < 3 or window % 2 == 0:
            raise ValueError(f'window must be an odd size >= 3, got {window}')
        self.scales = scales
        self.adjacent_evaluation = adjacent_evaluation
        self.window = window

    @property
    def num_features(self) -> int:
        return sum((p + 2) * (p + 2) * 2 for p, _ in self.scales)

    @property
    def min_size(self) -> int:
        extra = self.window // 2 if self.adjacent_evaluation else 0
        return 2 * (int(np.ceil(max(r for _, r in self.scales))) + extra) + 8

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Concatenated normalised histograms (float64, ``num_features``) of ``image``."""
        grey = as_grey(image, self.min_size)
        parts = []
        window = self.window if self.adjacent_evaluation else 0
        for points, radius in self.scales:
            s_code, m_code, c_code = clbp_codes(grey, points, radius, window)
            joint = (s_code * (points + 2) + m_code) * 2 + c_code
            hist = np.bincount(joint.ravel(), minlength=(points + 2) ** 2 * 2)
            parts.append(hist / hist.sum())
        return np.concatenate(parts)
