"""tools/analysis_tools/box_stats.py: how each class is boxed, and its errors."""
import os.path as osp
import re
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest

from conftest import CONFIG, REPO, run_tool

TOOL = 'tools/analysis_tools/box_stats.py'


def _tool():
    import runpy
    return runpy.run_path(osp.join(REPO, TOOL))


def test_overlapping_boxes_cover_their_union_once():
    picture_stats = _tool()['picture_stats']
    s = picture_stats(np.array([[0, 0, 100, 100], [50, 0, 150, 100], [0, 150, 10, 200]]),
                      200, 200)
    assert s['covered'] == [pytest.approx((150 * 100 + 10 * 50) / 200 ** 2)]
    assert s['area'] == pytest.approx([0.25, 0.25, 0.0125])
    assert s['width'] == pytest.approx([0.5, 0.5, 0.05])
    assert s['height'] == pytest.approx([0.5, 0.5, 0.25])


def test_bad_picture_size_is_named():
    with pytest.raises(ValueError, match='picture size 0x200; expected positive sides'):
        _tool()['picture_stats'](np.array([[0, 0, 1, 1]]), 0, 200)


def test_table_counts_every_class_and_box(synth_det):
    from mmdet_shuffledefect.datasets.neu_det import read_split_file
    names = read_split_file(osp.join(synth_det, 'splits', 'train.txt'))
    boxes, pictures = Counter(), Counter()
    for name in names:
        labels = [o.find('name').text for o in
                  ET.parse(osp.join(synth_det, 'ANNOTATIONS', name + '.xml')).findall('object')]
        boxes.update(labels)
        pictures.update(set(labels))
    proc = run_tool([TOOL, CONFIG, '--data-root', f'{synth_det}/'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'pictures: {len(names)}' in proc.stdout
    assert boxes, 'the synthetic split has no boxes'
    for label, count in boxes.items():
        row = re.search(rf'^{re.escape(label)}\s+(\d+)\s+(\d+)\s', proc.stdout, re.M)
        assert row, proc.stdout
        assert (int(row.group(1)), int(row.group(2))) == (pictures[label], count)


def test_missing_data_root_names_the_split(tmp_path):
    proc = run_tool([TOOL, CONFIG, '--data-root', f'{tmp_path}/nowhere/'])
    assert proc.returncode != 0
    assert 'cannot build the train_dataloader dataset' in proc.stderr and 'nowhere' in proc.stderr
