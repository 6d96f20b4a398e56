"""Contact sheets: many small annotated images in one picture.

Used for test detections beside the numbers (``tools/analysis_tools/show_detections.py``)
and for misclassified images of a cross-validation.

Example:
    >>> import numpy as np
    >>> img = np.zeros((200, 200, 3), np.uint8)
    >>> tile = caption_tile(img, ['crazing_1', 'AP 0.3'], size=160)
    >>> contact_sheet([tile] * 5, cols=4, title='demo').shape
    (418, 660, 3)
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

GT_COLOUR = (0, 200, 0)      # BGR green: ground truth
PRED_COLOUR = (0, 0, 255)    # BGR red: detections
CAPTION_LINE_PX = 14         # px per caption line
TITLE_HEIGHT = 22
GAP = 4


def draw_boxes(img: np.ndarray, boxes: np.ndarray, colour: Tuple[int, int, int],
               labels: Optional[Sequence[str]] = None, thickness: int = 1) -> np.ndarray:
    """A copy of BGR ``img`` with ``boxes`` (N, 4: x1, y1, x2, y2) drawn, each with an
    optional text label above its top-left corner.

    Example:
        >>> out = draw_boxes(np.zeros((20, 20, 3), np.uint8), np.array([[2, 2, 10, 10]]),
        ...                  (0, 0, 255))
        >>> int(out[2, 5, 2])
        255
    """
    out = np.ascontiguousarray(img.copy())
    for i, box in enumerate(np.asarray(boxes, np.float64).reshape(-1, 4)):
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thickness)
        if labels is not None:
            cv2.putText(out, str(labels[i]), (x1 + 1, max(y1 - 2, 8)), cv2.FONT_HERSHEY_PLAIN,
                        0.8, colour, 1, cv2.LINE_AA)
    return out


def caption_tile(img: np.ndarray, lines: Sequence[str], size: int = 200) -> np.ndarray:
    """``img`` scaled to ``size`` x ``size`` px (grey images made BGR) above its caption
    lines (black text on white)."""
    if size < 16:
        raise ValueError(f'tile size must be at least 16 px, got {size}')
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    tile = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    caption = np.full((CAPTION_LINE_PX * len(lines) + 4, size, 3), 255, np.uint8)
    for i, line in enumerate(lines):
        cv2.putText(caption, str(line), (2, CAPTION_LINE_PX * (i + 1)), cv2.FONT_HERSHEY_PLAIN,
                    0.9, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([tile, caption], axis=0)


def contact_sheet(tiles: Sequence[np.ndarray], cols: int = 6,
                  title: Optional[str] = None) -> np.ndarray:
    """Tiles (same width; heights may differ) laid out row by row on white, with an
    optional title line above.

    Args:
        tiles (Sequence[np.ndarray]): BGR tiles, e.g. from :func:`caption_tile`.
        cols (int): Tiles per row.
        title (str, optional): Text over the sheet.

    Returns:
        np.ndarray: The BGR sheet.
    """
    if not tiles:
        raise ValueError('a contact sheet needs at least one tile')
    if cols < 1:
        raise ValueError(f'cols must be >= 1, got {cols}')
    width = tiles[0].shape[1]
    if any(t.shape[1] != width for t in tiles):
        raise ValueError(f'all tiles must be {width} px wide, got '
                         f'{sorted({t.shape[1] for t in tiles})}')
    cols = min(cols, len(tiles))
    rows = [tiles[i:i + cols] for i in range(0, len(tiles), cols)]
    cell_h = max(t.shape[0] for t in tiles)
    top = TITLE_HEIGHT if title else 0
    sheet = np.full((top + len(rows) * (cell_h + GAP) + GAP, cols * (width + GAP) + GAP, 3),
                    255, np.uint8)
    if title:
        cv2.putText(sheet, title, (GAP, TITLE_HEIGHT - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (0, 0, 0), 1, cv2.LINE_AA)
    for r, row in enumerate(rows):
        for c, tile in enumerate(row):
            y = top + GAP + r * (cell_h + GAP)
            x = GAP + c * (width + GAP)
            sheet[y:y + tile.shape[0], x:x + width] = tile
    return sheet
