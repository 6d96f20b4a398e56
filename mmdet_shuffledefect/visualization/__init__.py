"""Pictures for people: contact sheets of annotated images, the training-set-size plot."""
from .contact_sheet import (CAPTION_LINE_PX, GT_COLOUR, PRED_COLOUR, caption_tile, contact_sheet,
                            draw_boxes)
from .data_size_plot import data_size_series, plot_data_size

__all__ = [
    'CAPTION_LINE_PX', 'GT_COLOUR', 'PRED_COLOUR', 'caption_tile', 'contact_sheet', 'draw_boxes',
    'data_size_series', 'plot_data_size'
]
