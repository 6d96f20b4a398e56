"""Contact sheets and the detections picture tool (tools/analysis_tools/show_detections.py)."""
import os.path as osp

import cv2
import numpy as np
import pytest
from conftest import CONFIG, run_tool

from mmdet_shuffledefect.visualization import (CAPTION_LINE_PX, GT_COLOUR, caption_tile,
                                               contact_sheet, draw_boxes)


def test_contact_sheet_lays_tiles_out_in_rows():
    tiles = [caption_tile(np.full((50, 80), 100, np.uint8), ['a', 'b'], size=40)
             for _ in range(5)]
    assert tiles[0].shape == (40 + 2 * CAPTION_LINE_PX + 4, 40, 3)  # grey became BGR
    sheet = contact_sheet(tiles, cols=3)
    rows_h = tiles[0].shape[0]
    assert sheet.shape == (4 + 2 * (rows_h + 4), 4 + 3 * (40 + 4), 3)
    # the sixth cell (row 2, column 3) stays white: only five tiles
    assert (sheet[-10, -20] == 255).all()


def test_contact_sheet_bad_input():
    with pytest.raises(ValueError, match='at least one tile'):
        contact_sheet([])
    with pytest.raises(ValueError, match='40 px wide'):
        contact_sheet([np.zeros((40, 40, 3), np.uint8), np.zeros((40, 50, 3), np.uint8)])
    with pytest.raises(ValueError, match='cols must be >= 1, got 0'):
        contact_sheet([np.zeros((4, 4, 3), np.uint8)], cols=0)
    with pytest.raises(ValueError, match='at least 16 px, got 8'):
        caption_tile(np.zeros((4, 4, 3), np.uint8), [], size=8)


def test_draw_boxes_draws_the_box_edges_only():
    out = draw_boxes(np.zeros((30, 30, 3), np.uint8), np.array([[5, 5, 20, 20]]), GT_COLOUR)
    assert tuple(out[5, 12]) == GT_COLOUR and tuple(out[12, 20]) == GT_COLOUR
    assert not out[12, 12].any()  # inside stays as it was


def test_show_detections_writes_one_row_per_class(trained_ssd, synth_det, tmp_path):
    _, ckpt = trained_ssd
    out = str(tmp_path / 'sheet.png')
    proc = run_tool(['tools/analysis_tools/show_detections.py', CONFIG, ckpt,
                     '--data-root', synth_det, '--show-classes', 'crazing', 'scratches',
                     '--per-class', '2', '--tile-size', '64', '--score-thr', '0.0',
                     '--out', out])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'rows crazing, scratches' in proc.stdout
    sheet = cv2.imread(out)
    tile_h = 64 + 2 * CAPTION_LINE_PX + 4
    assert sheet.shape[0] == 22 + 4 + 2 * (tile_h + 4)  # title + two class rows
    assert sheet.shape[1] == 4 + 2 * (64 + 4)
    green = (sheet[..., 1] > 150) & (sheet[..., 0] < 80) & (sheet[..., 2] < 80)
    red = (sheet[..., 2] > 150) & (sheet[..., 0] < 80) & (sheet[..., 1] < 80)
    assert green.any(), 'ground truth boxes are drawn in green'
    assert red.any(), 'detections (every score at --score-thr 0) are drawn in red'


def test_show_detections_bad_input(trained_ssd, synth_det, tmp_path):
    _, ckpt = trained_ssd
    proc = run_tool(['tools/analysis_tools/show_detections.py', CONFIG, ckpt,
                     '--data-root', synth_det, '--show-classes', 'rust',
                     '--out', str(tmp_path / 'x.png')])
    assert proc.returncode != 0
    assert '--show-classes rust: not a class of the test_dataloader dataset' in proc.stderr
    assert 'crazing' in proc.stderr  # the known classes are listed
    proc = run_tool(['tools/analysis_tools/show_detections.py', CONFIG,
                     osp.join(str(tmp_path), 'missing.pth'), '--data-root', synth_det])
    assert proc.returncode != 0 and 'missing.pth does not exist' in proc.stderr
    proc = run_tool(['tools/analysis_tools/show_detections.py', CONFIG, ckpt,
                     '--data-root', synth_det, '--per-class', '0'])
    assert proc.returncode != 0 and '--per-class must be >= 1, got 0' in proc.stderr
