"""The box-convention study: overlapping boxes merged by group, the same predictions scored
against both conventions, and its tool on a hand-made dump of the synthetic test split."""
import pickle

import numpy as np
import pytest

from conftest import CONFIG, STUDY_TOOLS, run_tool
from sdn_study.box_convention import (convention_rows, eval_annotations, eval_detections,
                                      merge_overlapping)

CLASSES = ['crazing', 'scratches']
# picture 'a': two overlapping crazing strips (annotated as the NEU annotators do) and a
# scratch overlapping neither; picture 'b': a crazing box alone
INSTANCES = [
    [dict(bbox=[0, 0, 99, 59], bbox_label=0), dict(bbox=[0, 40, 99, 119], bbox_label=0),
     dict(bbox=[150, 150, 190, 190], bbox_label=1)],
    [dict(bbox=[10, 10, 50, 50], bbox_label=0)],
]


def test_groups_linked_through_each_other_merge_and_touching_boxes_do_not():
    chain = np.array([[0, 0, 10, 10], [8, 8, 20, 20], [18, 18, 30, 30], [40, 0, 50, 5]])
    np.testing.assert_array_equal(merge_overlapping(chain), [[0, 0, 30, 30], [40, 0, 50, 5]])
    touching = np.array([[0, 0, 10, 10], [10, 0, 20, 10]])  # share an edge, no area
    np.testing.assert_array_equal(merge_overlapping(touching), touching)
    assert merge_overlapping(np.zeros((0, 4))).shape == (0, 4)


def test_only_the_named_classes_merge_and_ignored_boxes_stay():
    ignored = dict(bbox=[0, 0, 5, 5], bbox_label=0, ignore_flag=1)
    anns = eval_annotations([INSTANCES[0] + [ignored]], merge_labels=[0])
    np.testing.assert_array_equal(anns[0]['bboxes'], [[0, 0, 99, 119], [150, 150, 190, 190]])
    assert anns[0]['labels'].tolist() == [0, 1]
    assert anns[0]['bboxes_ignore'].tolist() == [[0, 0, 5, 5]]
    assert len(eval_annotations([INSTANCES[0]])[0]['bboxes']) == 3  # nothing named: as given


def test_one_enclosing_prediction_is_a_miss_as_annotated_and_a_hit_merged():
    arrays = [('a', np.array([0, 1]), np.array([0.9, 0.8]),
               np.array([[0, 0, 99, 119], [150, 150, 190, 190]], float)),
              ('b', np.array([0]), np.array([0.7]), np.array([[10, 10, 50, 50]], float))]
    dets = eval_detections(arrays, ['a', 'b'], len(CLASSES))
    rows = {r['name']: r for r in convention_rows(dets, INSTANCES, CLASSES, ['crazing'])}
    crazing = rows['crazing']
    assert (crazing['boxes'], crazing['merged_boxes']) == (3, 2)
    # the enclosing box has IoU 0.5 with neither strip (60/120 and 80/120 of its rows:
    # 0.5 and 0.67 - the second strip is hit): 2 of 3 found as annotated, 2 of 2 merged
    assert crazing['merged_ap'] == pytest.approx(1.0)
    assert crazing['ap'] < crazing['merged_ap']
    assert rows['scratches']['ap'] == rows['scratches']['merged_ap'] == pytest.approx(1.0)
    assert rows['mean']['merged_ap'] == pytest.approx(1.0)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r'1 predicted picture\(s\) are not in the split '
                       r'\(e.g. zz\)'):
        eval_detections([('zz', np.zeros(0), np.zeros(0), np.zeros((0, 4)))], ['a'], 2)
    with pytest.raises(ValueError, match='not a class of the dataset: rust; its classes: '
                       'crazing, scratches'):
        convention_rows([[np.zeros((0, 5))] * 2] * 2, INSTANCES, CLASSES, ['rust'])


def exact_dump(synth_det, path):
    """Every annotated box of the synthetic test split predicted exactly."""
    import torch

    from mmdet_shuffledefect.utils.config_loading import build_annotations, load_config
    dataset = build_annotations(load_config(CONFIG, None, synth_det), 'test_dataloader')
    dump = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        boxes = [inst['bbox'] for inst in info['instances']]
        dump.append(dict(img_id=info['img_id'], pred_instances=dict(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            labels=torch.tensor([inst['bbox_label'] for inst in info['instances']]),
            scores=torch.ones(len(boxes)))))
    path.write_bytes(pickle.dumps(dump))
    return dataset


def test_tool_tables_a_dump_and_names_bad_input(synth_det, tmp_path):
    pkl = tmp_path / 'exact.pkl'
    exact_dump(synth_det, pkl)
    md = tmp_path / 'conv.md'
    tool = f'{STUDY_TOOLS}/box_convention.py'
    proc = run_tool([tool, CONFIG, str(pkl), '--data-root', synth_det, '--out', str(md)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {l.split('|')[1].strip(): [c.strip() for c in l.split('|')[2:-1]]
            for l in proc.stdout.splitlines()
            if l.startswith('| ') and '---' not in l and not l.startswith('| class ')}
    assert '**crazing**' in rows and '**rolled-in_scale**' in rows and 'patches' in rows
    for name, (boxes, merged, ap, merged_ap, _) in rows.items():
        assert ap == '1.0000', name  # exact predictions: every annotated box hit
        if not name.startswith('**') and name != 'mean':
            assert (merged, merged_ap) == (boxes, '1.0000'), name  # not merged: unchanged
        assert int(merged) <= int(boxes), name
        if merged == boxes:
            assert merged_ap == '1.0000', name
    assert md.read_text().startswith('config: ' + CONFIG)
    proc = run_tool([tool, CONFIG, str(pkl), '--data-root', synth_det, '--merge', 'rust'])
    assert proc.returncode == 2
    assert '--merge rust: not a class of the config; its classes: crazing, ' in proc.stderr
    proc = run_tool([tool, CONFIG, str(pkl), '--data-root', synth_det, '--split', 'val'])
    assert proc.returncode == 1
    assert 'predicted picture(s) are not in the val split of' in proc.stderr
    assert 'were the predictions made with --split test?' in proc.stderr
    bad = tmp_path / 'notes.pkl'
    bad.write_text('not a pickle')
    proc = run_tool([tool, CONFIG, str(bad), '--data-root', synth_det])
    assert proc.returncode == 1
    assert f'{bad} is not a predictions dump of tools/test.py --out' in proc.stderr
