"""Synthetic steel-surface sample in NEU-DET and NEU-CLS format.

The embedded default data of ``make demo`` and the tests' data. Images are
200x200 grayscale steel-like textures (JPEG with three equal channels, as the
real NEU-DET files) with the six NEU defect kinds drawn by shape, not by
brightness: every kind darkens or brightens by an amount drawn from the same
range, so intensity alone does not separate them. Boxes are the exact extents
of the drawn pixels, written as 1-based inclusive VOC corners.

Example:
    >>> from mmdet_shuffledefect.data_prep.synthetic import write_neu_det
    >>> stats = write_neu_det('/tmp/synth-det', num_images=12, seed=0)  # doctest: +SKIP
    >>> sorted(stats)                                                  # doctest: +SKIP
    ['boxes', 'images', 'negatives']
"""
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Tuple

import cv2
import numpy as np

from mmdet_shuffledefect.datasets.neu_classes import NEU_CLASSES, NEU_CLS_PREFIXES
from .voc_xml import write_voc_xml

SIZE = 200
Box = Tuple[int, int, int, int]  # 0-based inclusive pixel corners


def _background(rng: np.random.Generator) -> np.ndarray:
    base = rng.uniform(95, 165)
    low = cv2.resize(rng.normal(0, 9, (6, 6)), (SIZE, SIZE), interpolation=cv2.INTER_CUBIC)
    streaks = np.repeat(rng.normal(0, 3, (SIZE, 1)), SIZE, axis=1)
    if rng.random() < 0.5:
        streaks = streaks.T
    return base + low + streaks + rng.normal(0, 6, (SIZE, SIZE))


def _region(rng: np.random.Generator, wmin: int, wmax: int, hmin: int,
            hmax: int) -> Tuple[int, int, int, int]:
    w = int(rng.integers(wmin, wmax + 1))
    h = int(rng.integers(hmin, hmax + 1))
    x0 = int(rng.integers(0, SIZE - w + 1))
    y0 = int(rng.integers(0, SIZE - h + 1))
    return x0, y0, w, h


def _crazing(rng, mask):
    x0, y0, w, h = _region(rng, 40, 199, 40, 199)
    for _ in range(int(w * h / 120) + 8):
        x, y = rng.uniform(x0, x0 + w), rng.uniform(y0, y0 + h)
        pts = [(x, y)]
        for _ in range(int(rng.integers(2, 5))):
            x = np.clip(x + rng.normal(0, 6), x0, x0 + w - 1)
            y = np.clip(y + rng.normal(0, 6), y0, y0 + h - 1)
            pts.append((x, y))
        cv2.polylines(mask, [np.int32(pts)], False, 1.0, 1)


def _inclusion(rng, mask):
    if rng.random() < 0.5:
        x0, y0, w, h = _region(rng, 8, 40, 25, 120)
    else:
        x0, y0, w, h = _region(rng, 25, 120, 8, 40)
    for _ in range(int(rng.integers(1, 4))):
        cx = rng.uniform(x0 + w * 0.3, x0 + w * 0.7)
        cy = rng.uniform(y0 + h * 0.3, y0 + h * 0.7)
        axes = (max(1, int(w * rng.uniform(0.15, 0.5))), max(1, int(h * rng.uniform(0.15, 0.5))))
        cv2.ellipse(mask, (int(cx), int(cy)), axes, 0, 0, 360, 1.0, -1)


def _patches(rng, mask):
    x0, y0, w, h = _region(rng, 30, 160, 30, 160)
    blob = np.zeros_like(mask)
    for _ in range(int(rng.integers(3, 7))):
        cx, cy = rng.uniform(x0 + w * 0.25, x0 + w * 0.75), rng.uniform(y0 + h * 0.25, y0 + h * 0.75)
        axes = (max(2, int(w * rng.uniform(0.1, 0.3))), max(2, int(h * rng.uniform(0.1, 0.3))))
        cv2.ellipse(blob, (int(cx), int(cy)), axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
    blob = cv2.GaussianBlur(blob, (0, 0), 3)
    blob[blob < 0.2] = 0
    np.maximum(mask, np.clip(blob * 1.5, 0, 1), out=mask)


def _pitted(rng, mask):
    x0, y0, w, h = _region(rng, 25, 120, 25, 120)
    for _ in range(int(w * h / 90) + 6):
        cx, cy = rng.uniform(x0 + 3, x0 + w - 3), rng.uniform(y0 + 3, y0 + h - 3)
        cv2.circle(mask, (int(cx), int(cy)), int(rng.integers(1, 4)), 1.0, -1)


def _rolled(rng, mask):
    x0, y0, w, h = _region(rng, 30, 199, 30, 150)
    for _ in range(int(w * h / 150) + 6):
        cx, cy = rng.uniform(x0 + 4, x0 + w - 4), rng.uniform(y0 + 4, y0 + h - 4)
        rect = ((cx, cy), (rng.uniform(3, 8), rng.uniform(1.5, 3)), rng.uniform(0, 180))
        cv2.fillPoly(mask, [np.int32(cv2.boxPoints(rect))], 1.0)


def _scratches(rng, mask):
    vertical = rng.random() < 0.5
    if vertical:
        x0, y0, w, h = _region(rng, 8, 30, 60, 199)
    else:
        x0, y0, w, h = _region(rng, 60, 199, 8, 30)
    for _ in range(int(rng.integers(1, 3))):
        if vertical:
            a = (rng.uniform(x0, x0 + w - 1), y0)
            b = (rng.uniform(x0, x0 + w - 1), y0 + h - 1)
        else:
            a = (x0, rng.uniform(y0, y0 + h - 1))
            b = (x0 + w - 1, rng.uniform(y0, y0 + h - 1))
        cv2.line(mask, tuple(int(v) for v in a), tuple(int(v) for v in b), 1.0,
                 int(rng.integers(1, 3)))


#: class name -> function that draws one defect of that kind into a mask.
DRAWERS: Dict[str, Callable] = {
    'crazing': _crazing,
    'inclusion': _inclusion,
    'patches': _patches,
    'pitted_surface': _pitted,
    'rolled-in_scale': _rolled,
    'scratches': _scratches,
}


def defect_mask(name: str, rng: np.random.Generator) -> Tuple[np.ndarray, Optional[Box]]:
    """Draw one defect of kind ``name`` into a fresh mask.

    Returns:
        tuple: the mask (HxW float in [0, 1]) and the exact ``(x1, y1, x2, y2)``
        0-based inclusive extents of its non-zero pixels, or None for the box
        if the drawing ended up smaller than 8 px.
    """
    mask = np.zeros((SIZE, SIZE), np.float32)
    DRAWERS[name](rng, mask)
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return mask, None
    box = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
    if box[2] - box[0] + 1 < 8 or box[3] - box[1] + 1 < 8:
        return mask, None
    return mask, box


def apply_defect(img: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> None:
    """Darken or brighten ``img`` under ``mask`` by 25-60 grey levels.

    The range is the same for every defect kind, so brightness alone does not
    tell the kinds apart.
    """
    sign = 1.0 if rng.random() < 0.5 else -1.0
    img += sign * rng.uniform(25, 60) * mask


def draw_defect(img: np.ndarray, name: str, rng: np.random.Generator) -> Optional[Box]:
    """Draw one defect of kind ``name`` into ``img``; return its exact box."""
    mask, box = defect_mask(name, rng)
    if box is not None:
        apply_defect(img, mask, rng)
    return box


def overlap(a: Box, b: Box) -> float:
    """Intersection over the smaller box's area (inclusive pixel corners)."""
    iw = min(a[2], b[2]) - max(a[0], b[0]) + 1
    ih = min(a[3], b[3]) - max(a[1], b[1]) + 1
    if iw <= 0 or ih <= 0:
        return 0.0
    area = lambda r: (r[2] - r[0] + 1) * (r[3] - r[1] + 1)  # noqa: E731
    return iw * ih / min(area(a), area(b))


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.clip(img, 0, 255).astype(np.uint8)


def make_det_image(rng: np.random.Generator, main_class: Optional[str],
                   classes=NEU_CLASSES) -> Tuple[np.ndarray, List[Tuple[str, Box]]]:
    """One detection image: mostly ``main_class`` defects, sometimes another.

    Defects do not overlap by more than 20% of the smaller box, so every box
    is unambiguous. ``main_class=None`` gives a defect-free image.
    """
    img = _background(rng)
    objects: List[Tuple[str, Box]] = []
    if main_class is not None:
        wanted = int(min(9, 1 + rng.geometric(0.45) - 1))
        tries = 0
        while len(objects) < wanted and tries < 60:
            tries += 1
            name = main_class if rng.random() < 0.85 else classes[int(rng.integers(len(classes)))]
            mask, box = defect_mask(name, rng)
            # keep every defect distinct: a box may cover at most 20% of another
            if box is None or any(overlap(box, b) > 0.2 for _, b in objects):
                continue
            apply_defect(img, mask, rng)
            objects.append((name, box))
    return _to_uint8(img), objects


def write_neu_det(out_dir: str,
                  num_images: int = 300,
                  seed: int = 0,
                  negative_fraction: float = 0.06) -> Dict[str, int]:
    """Write a NEU-DET-format tree: ``IMAGES/*.jpg`` + ``ANNOTATIONS/*.xml``.

    Images are named ``<class>_<n>.jpg`` as in NEU-DET (defect-free ones
    ``clean_<n>.jpg``), classes in turn so every class gets the same count.

    Args:
        out_dir (str): Output root (created).
        num_images (int): Number of images. Defaults to 300.
        seed (int): Seed; the same seed writes byte-identical files.
            Defaults to 0.
        negative_fraction (float): Share of defect-free images (at least
            one image when ``num_images >= 20``). Defaults to 0.06.

    Returns:
        dict: ``images``, ``boxes`` and ``negatives`` counts.
    """
    if num_images < 1:
        raise ValueError(f'num_images must be >= 1, got {num_images}')
    img_dir, ann_dir = osp.join(out_dir, 'IMAGES'), osp.join(out_dir, 'ANNOTATIONS')
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)
    rng = np.random.default_rng(seed)
    num_neg = int(np.ceil(num_images * negative_fraction)) if num_images >= 20 else 0
    neg_slots = set(rng.choice(num_images, size=num_neg, replace=False).tolist())
    counters: Dict[str, int] = {}
    stats = dict(images=0, boxes=0, negatives=0)
    k = 0
    for i in range(num_images):
        if i in neg_slots:
            main, prefix = None, 'clean'
        else:
            main = NEU_CLASSES[k % len(NEU_CLASSES)]
            prefix, k = main, k + 1
        img, objects = make_det_image(rng, main)
        counters[prefix] = counters.get(prefix, 0) + 1
        stem = f'{prefix}_{counters[prefix]}'
        cv2.imwrite(osp.join(img_dir, stem + '.jpg'), cv2.merge([img] * 3),
                    [cv2.IMWRITE_JPEG_QUALITY, 95])
        write_voc_xml(osp.join(ann_dir, stem + '.xml'), stem + '.jpg', SIZE, SIZE,
                      [(name, (b[0] + 1, b[1] + 1, b[2] + 1, b[3] + 1), 0)
                       for name, b in objects])
        stats['images'] += 1
        stats['boxes'] += len(objects)
        stats['negatives'] += int(not objects)
    return stats


def write_neu_cls(out_dir: str, per_class: int = 20, seed: int = 0) -> Dict[str, int]:
    """Write a NEU-CLS-format flat folder: ``Cr_1.bmp ... Sc_<n>.bmp``.

    Each image shows several defects of its class (8-bit grayscale BMP).

    Returns:
        dict: images per class prefix.
    """
    if per_class < 1:
        raise ValueError(f'per_class must be >= 1, got {per_class}')
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(seed)
    counts = {}
    for name, prefix in NEU_CLS_PREFIXES.items():
        for n in range(1, per_class + 1):
            img = _background(rng)
            for _ in range(int(rng.integers(2, 5))):
                draw_defect(img, name, rng)
            cv2.imwrite(osp.join(out_dir, f'{prefix}_{n}.bmp'), _to_uint8(img))
        counts[prefix] = per_class
    return counts
