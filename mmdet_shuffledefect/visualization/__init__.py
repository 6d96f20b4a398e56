"""Pictures for people: contact sheets of annotated images."""
from .contact_sheet import (CAPTION_LINE_PX, GT_COLOUR, PRED_COLOUR, caption_tile, contact_sheet,
                            draw_boxes)

__all__ = [
    'CAPTION_LINE_PX', 'GT_COLOUR', 'PRED_COLOUR', 'caption_tile', 'contact_sheet', 'draw_boxes'
]
