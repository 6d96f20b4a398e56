"""tools/analysis_tools/anchor_coverage.py: the anchor fit table and its errors."""
import os.path as osp
import re
import xml.etree.ElementTree as ET

import numpy as np
import torch

from conftest import CONFIG, REPO, run_tool

TOOL = 'tools/analysis_tools/anchor_coverage.py'


def test_anchor_stats_best_iou_and_positive_count():
    import runpy
    anchor_stats = runpy.run_path(osp.join(REPO, TOOL))['anchor_stats']
    anchors = torch.tensor([[0., 0., 10., 10.], [0., 0., 10., 20.], [50., 50., 60., 60.]])
    boxes = np.array([[0., 0., 10., 10.], [0., 0., 10., 18.], [100., 100., 110., 140.]])
    best, pos = anchor_stats(boxes, anchors, 0.5)
    np.testing.assert_allclose(best, [1.0, 0.9, 0.0], atol=1e-6)
    assert pos.tolist() == [2, 2, 0]  # the 10x10 box has IoU 0.5 with the 10x20 anchor


def test_table_counts_every_training_box(synth_det):
    from mmdet_shuffledefect.datasets.neu_det import read_split_file
    names = read_split_file(osp.join(synth_det, 'splits', 'train.txt'))
    expected = sum(len(ET.parse(osp.join(synth_det, 'ANNOTATIONS', n + '.xml')).findall('object'))
                   for n in names)
    proc = run_tool([TOOL, CONFIG, '--data-root', f'{synth_det}/'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'input: 192x192' in proc.stdout and 'positive IoU >= 0.5' in proc.stdout
    row = re.search(r'^all\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)%', proc.stdout, re.M)
    assert row, proc.stdout
    assert int(row.group(1)) == expected
    assert 0.0 < float(row.group(3)) <= 1.0


def test_config_without_anchors_is_refused():
    proc = run_tool([TOOL, 'configs/classification/sdn-1.0x_linear_30e_neu-cls.py'])
    assert proc.returncode != 0
    assert 'has no model.bbox_head.anchor_generator' in proc.stderr


def test_missing_data_root_names_the_split(tmp_path):
    proc = run_tool([TOOL, CONFIG, '--data-root', f'{tmp_path}/nowhere/'])
    assert proc.returncode != 0
    assert 'cannot build the train_dataloader dataset' in proc.stderr
    assert 'nowhere' in proc.stderr
