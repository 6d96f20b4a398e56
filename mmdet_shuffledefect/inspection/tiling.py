"""Pictures larger than the model input (line-scan strips): when to cut them into tiles,
where the tiles start, and how detections cut by a tile border are merged again.

Example:
    >>> tile_origins(500, 200, 50)
    [0, 150, 300]
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np

from mmdet_shuffledefect.utils.input_size import config_input_size


def tile_origins(length: int, tile: int, overlap: int) -> List[int]:
    """Start offsets of tiles of size ``tile`` covering ``length`` with overlap.

    Example:
        >>> tile_origins(500, 200, 50)
        [0, 150, 300]
    """
    if tile <= overlap:
        raise ValueError(f'tile size ({tile}) must exceed the overlap ({overlap})')
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile + 1, step))
    if starts[-1] + tile < length:
        starts.append(length - tile)
    return starts



#: ``tile_size='auto'`` (the default of the API and the CLI) tiles only pictures whose
#: longer side exceeds this many times the model's input side; everything else is
#: resized whole, as the config's test pipeline does in training and testing.
AUTO_TILE_FACTOR = 3



def model_input_side(model) -> int:
    """The longer side (px) of the model's input: its test ``Resize`` (mmdet model) or the
    exported graph's input size (``OnnxDetector``)."""
    size = getattr(model, 'input_size', None)
    if size is None:
        size = config_input_size(model.cfg)
    return int(max(size))



def resolve_tiling(model, tile_size, imgs: Sequence[np.ndarray]
                   ) -> Tuple[Optional[int], Optional[int], str]:
    """The tile side for ``imgs`` (None: no tiling), the side above which a picture is
    tiled, and a sentence saying why.

    ``'auto'``: no tiling unless a picture's longer side exceeds ``AUTO_TILE_FACTOR`` x
    the model's input side (a line-scan strip, say); such pictures are cut into tiles of
    the input side. An int tiles every picture with a side above it; 0 or None never tiles.
    """
    if tile_size == 'auto':
        side = model_input_side(model)
        limit = AUTO_TILE_FACTOR * side
        if any(max(img.shape[:2]) > limit for img in imgs):
            return side, limit, (f'auto: pictures with a side over {limit} px ({AUTO_TILE_FACTOR}x the '
                          f'model input {side} px) cut into {side}-px tiles; the others '
                          'resized whole as in training')
        return None, None, (f'auto: no picture has a side over {limit} px ({AUTO_TILE_FACTOR}x the '
                      f'model input {side} px): every picture resized whole, as in training')
    if not tile_size:
        return None, None, 'off: every picture resized whole, as in training'
    if not isinstance(tile_size, int) or tile_size < 1:
        raise ValueError(f"tile_size must be 'auto', a positive int or 0/None, got "
                         f'{tile_size!r}')
    return tile_size, tile_size, (f'pictures with a side over {tile_size} px cut into '
                                  f'{tile_size}-px tiles')



def merge_across_tiles(boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray,
                       tiles: np.ndarray, iom_thr: float = 0.3
                       ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge same-class boxes from different tiles that cover one defect.

    Two boxes of the same class found in different tiles are one defect when
    their intersection covers at least ``iom_thr`` of the smaller box (a
    defect cut by a tile border leaves two partial boxes whose IoU is low but
    whose overlap region agrees). Merged boxes take the union and the highest
    score. Boxes from the same tile were already de-duplicated by NMS.
    """
    order = np.argsort(-scores)
    boxes, scores, labels, tiles = boxes[order], scores[order], labels[order], tiles[order]
    merged: List[List] = []  # [box, score, label, set(tiles)]
    for b, s, l, t in zip(boxes, scores, labels, tiles):
        for m in merged:
            if m[2] != l or t in m[3]:
                continue
            ix = min(b[2], m[0][2]) - max(b[0], m[0][0])
            iy = min(b[3], m[0][3]) - max(b[1], m[0][1])
            if ix <= 0 or iy <= 0:
                continue
            smaller = min((b[2] - b[0]) * (b[3] - b[1]), (m[0][2] - m[0][0]) * (m[0][3] - m[0][1]))
            if ix * iy >= iom_thr * smaller:
                m[0] = np.array([min(b[0], m[0][0]), min(b[1], m[0][1]),
                                 max(b[2], m[0][2]), max(b[3], m[0][3])])
                m[3].add(t)
                break
        else:
            merged.append([b.copy(), s, l, {t}])
    if not merged:
        return boxes[:0], scores[:0], labels[:0]
    return (np.stack([m[0] for m in merged]), np.array([m[1] for m in merged]),
            np.array([m[2] for m in merged]))
