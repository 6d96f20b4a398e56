"""What a class's detections are in AP's order: every kind named on hand-made boxes, and
tools/analysis_tools/error_anatomy.py on a real tools/test.py --out dump."""
import numpy as np
import pytest

from conftest import CONFIG, no_worker_options, run_tool
from mmdet_shuffledefect.evaluation.error_anatomy import (KINDS, anatomy_table,
                                                          detection_kinds, kind_counts)

# two strips of a crazing-like texture in picture 'a' (the annotator's cut), none in 'b'
GTS = {'a': np.array([[0, 0, 199, 59], [0, 60, 199, 119]], float), 'b': np.zeros((0, 4))}


def kinds_of(dets, **kw):
    return [(r['score'], r['kind']) for r in detection_kinds(dets, GTS, **kw)]


def test_every_kind_is_named_in_score_order():
    dets = [
        (0.50, 'a', [0, 0, 199, 59]),     # the first strip, exactly
        (0.90, 'a', [0, 0, 199, 119]),    # both strips in one box: IoU 0.5 with each, a hit
        (0.80, 'a', [0, 0, 199, 55]),     # the first strip again, ranked above its hit
        (0.70, 'a', [0, 62, 199, 80]),    # inside the second strip, IoU 0.32
        (0.60, 'a', [0, 30, 199, 95]),    # across both strips: shifted
        (0.40, 'a', [0, 100, 199, 150]),  # a sliver of the second strip
        (0.30, 'a', [0, 180, 199, 199]),  # below both strips
        (0.20, 'b', [0, 0, 50, 50]),      # a picture without the class
    ]
    got = kinds_of(dets)
    assert [s for s, _ in got] == sorted((d[0] for d in dets), reverse=True)
    assert got == [(0.9, 'hit'), (0.8, 'duplicate'), (0.7, 'near miss, smaller'),
                   (0.6, 'near miss, shifted'), (0.5, 'duplicate'), (0.4, 'weak overlap'),
                   (0.3, 'background'), (0.2, 'picture without the class')]


def test_a_box_covering_two_strips_is_a_larger_near_miss_and_found_boxes_are_flagged():
    # the union of both strips: IoU 0.5 with the first, a hit at the threshold...
    assert kinds_of([(0.9, 'a', [0, 0, 199, 119])])[0][1] == 'hit'
    # ...and at a stricter one a near miss that covers the whole strip: larger
    rows = detection_kinds([(0.9, 'a', [0, 0, 199, 119]), (0.5, 'a', [0, 0, 199, 59])], GTS,
                           iou_thr=0.6)
    assert [r['kind'] for r in rows] == ['near miss, larger', 'hit']
    assert rows[0]['box_index'] == 0 and rows[0]['box_found'] is True
    rows = detection_kinds([(0.9, 'a', [0, 0, 199, 119])], GTS, iou_thr=0.6)
    assert rows[0]['box_found'] is False  # nobody hits that strip
    counts = kind_counts(detection_kinds(
        [(0.9, 'a', [0, 0, 199, 119]), (0.5, 'a', [0, 0, 199, 59])], GTS, iou_thr=0.6), top=1)
    assert counts == {'near miss, larger': 1, 'near miss of a found box': 1}


def test_legacy_coordinates_match_the_metric():
    # widths of 10 px with VOC's +1 are 11: IoU (6 * 11) / (11 * 11 + 11 * 11 - 66) = 0.375
    gts = {'p': np.array([[0, 0, 10, 10]], float)}
    rows = detection_kinds([(1.0, 'p', [5, 0, 15, 10])], gts, legacy=True)
    assert rows[0]['kind'].startswith('near miss')
    # without it: (5 * 10) / (200 - 50) = 0.333, still near; at near_iou 0.35 only the
    # legacy reading is near
    assert detection_kinds([(1.0, 'p', [5, 0, 15, 10])], gts, near_iou=0.35,
                           legacy=False)[0]['kind'] == 'weak overlap'
    assert detection_kinds([(1.0, 'p', [5, 0, 15, 10])], gts, near_iou=0.35,
                           legacy=True)[0]['kind'].startswith('near miss')


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='expected 0 < near_iou <= iou_thr <= 1, got '
                       'near_iou=0.6, iou_thr=0.5'):
        detection_kinds([], GTS, iou_thr=0.5, near_iou=0.6)
    with pytest.raises(ValueError, match=r"detections on pictures without annotations: \['zz'\]"):
        detection_kinds([(0.5, 'zz', [0, 0, 1, 1])], GTS)


def test_anatomy_table_counts_the_top_ranks():
    dets = [(0.9, 'a', [0, 0, 199, 55]), (0.8, 'a', [0, 62, 199, 80]),
            (0.7, 'a', [0, 60, 199, 119]), (0.1, 'b', [0, 0, 9, 9])]
    lines = anatomy_table('crazing', detection_kinds(dets, GTS), 2, tops=(1.0, 2.0))
    assert lines[0] == '| crazing: 2 boxes | top 2 (= 1 x boxes) | top 4 (= 2 x boxes) | all 4 |'
    rows = {l.split('|')[1].strip(): [c.strip() for c in l.split('|')[2:-1]] for l in lines[2:]}
    assert rows['hit'] == ['1 (50 %)', '2 (50 %)', '2 (50 %)']
    assert rows['near miss, smaller'] == ['1 (50 %)', '1 (25 %)', '1 (25 %)']
    assert rows['picture without the class'] == ['0 (0 %)', '1 (25 %)', '1 (25 %)']
    assert 'background' not in rows  # kinds absent from every column are left out
    assert set(rows) - {'(of those near misses: of a box another detection hits)'} <= set(KINDS)


@pytest.fixture(scope='module')
def test_dump(trained_ssd, synth_det, tmp_path_factory):
    _, ckpt = trained_ssd
    tmp = tmp_path_factory.mktemp('dump')
    out = tmp / 'test.pkl'
    proc = run_tool(['tools/test.py', CONFIG, ckpt, '--data-root', synth_det, '--out', str(out),
                     '--work-dir', str(tmp / 'w'), '--cfg-options',
                     'model.test_cfg.score_thr=0.0'] + no_worker_options())
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_tool_tables_a_real_dump(test_dump, synth_det, tmp_path):
    md = tmp_path / 'anatomy.md'
    proc = run_tool(['tools/analysis_tools/error_anatomy.py', CONFIG, str(test_dump),
                     '--data-root', synth_det, '--show', 'crazing', 'scratches',
                     '--out', str(md)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '| crazing: ' in proc.stdout and '| scratches: ' in proc.stdout
    assert '| inclusion: ' not in proc.stdout  # --show picks the classes
    assert 'pictures)  hit: IoU >= 0.5, near miss: 0.3-0.5' in proc.stdout
    heads = {l.split(':')[0][2:]: l for l in proc.stdout.splitlines()
             if l.startswith('| ') and ': ' in l.split('|')[1]}
    boxes = int(heads['scratches'].split(':')[1].split()[0])
    total = int(heads['scratches'].split('| all ')[1].split()[0])
    assert boxes > 0 and total > 0  # score_thr 0: the one-epoch SSD boxes scratches a lot
    table = proc.stdout.split(heads['scratches'])[1].split('\n\n')[0].splitlines()[2:]
    counted = sum(int(l.split('|')[-2].split()[0]) for l in table if not l.startswith('| ('))
    assert counted == total  # every detection has one kind
    assert md.read_text().startswith('config: ' + CONFIG)


def test_tool_refuses_the_wrong_split_and_bad_files(test_dump, synth_det, tmp_path):
    proc = run_tool(['tools/analysis_tools/error_anatomy.py', CONFIG, str(test_dump),
                     '--data-root', synth_det, '--split', 'val'])
    assert proc.returncode == 1
    assert 'predicted picture(s) are not in the val split' in proc.stderr
    assert 'were the predictions made with --split test?' in proc.stderr
    bad = tmp_path / 'notes.pkl'
    bad.write_text('not a pickle')
    proc = run_tool(['tools/analysis_tools/error_anatomy.py', CONFIG, str(bad),
                     '--data-root', synth_det])
    assert proc.returncode == 1
    assert f'{bad} is not a predictions dump of tools/test.py --out' in proc.stderr
    proc = run_tool(['tools/analysis_tools/error_anatomy.py', CONFIG, str(test_dump),
                     '--data-root', synth_det, '--show', 'rust'])
    assert proc.returncode == 2
    assert '--show rust: not a class of the config; its classes: crazing, ' in proc.stderr
    proc = run_tool(['tools/analysis_tools/error_anatomy.py', CONFIG, str(test_dump),
                     '--data-root', synth_det, '--near-iou', '0.7'])
    assert proc.returncode == 2
    assert 'expected 0 < --near-iou <= --iou-thr <= 1, got 0.7 and 0.5' in proc.stderr


def test_tool_on_a_known_anatomy_and_its_drawing(synth_det, tmp_path):
    """Every annotated test box predicted twice: exactly (score 0.5) and shifted down by 0.4
    of its height (IoU 0.43, score 0.9): each class's top N are all shifted near misses of
    boxes found lower, its next N all hits."""
    import pickle

    import cv2
    import torch

    from mmdet_shuffledefect.utils.config_loading import build_annotations, load_config
    dataset = build_annotations(load_config(CONFIG, None, synth_det), 'test_dataloader')
    dump, per_class = [], {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        boxes, labels, scores = [], [], []
        for inst in info['instances']:
            x1, y1, x2, y2 = inst['bbox']
            shift = 0.4 * (y2 - y1 + 1)  # +1: the metric's VOC pixel convention
            boxes += [[x1, y1, x2, y2], [x1, y1 + shift, x2, y2 + shift]]
            labels += [inst['bbox_label']] * 2
            scores += [0.5, 0.9]
            per_class[inst['bbox_label']] = per_class.get(inst['bbox_label'], 0) + 1
        dump.append(dict(img_id=info['img_id'], pred_instances=dict(
            bboxes=torch.tensor(boxes).reshape(-1, 4), labels=torch.tensor(labels),
            scores=torch.tensor(scores))))
    pkl = tmp_path / 'known.pkl'
    pkl.write_bytes(pickle.dumps(dump))
    draw = tmp_path / 'draw'
    proc = run_tool(['tools/analysis_tools/error_anatomy.py', CONFIG, str(pkl), '--data-root',
                     synth_det, '--draw', str(draw), '--pictures', '2'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    classes = dataset.metainfo['classes']
    for label, n in per_class.items():
        name = classes[label]
        head = f'| {name}: {n} boxes | top {n} (= 1 x boxes) | top {2 * n} (= 2 x boxes) | all {2 * n} |'
        table = proc.stdout.split(head + '\n')[1].split('\n\n')[0].splitlines()[1:]
        rows = {l.split('|')[1].strip(): [c.strip() for c in l.split('|')[2:-1]] for l in table}
        assert rows['near miss, shifted'] == [f'{n} (100 %)', f'{n} (50 %)', f'{n} (50 %)']
        assert rows['hit'] == ['0 (0 %)', f'{n} (50 %)', f'{n} (50 %)']
        assert rows['(of those near misses: of a box another detection hits)'][0] == f'{n} (100 %)'
        assert set(rows) == {'hit', 'near miss, shifted',
                             '(of those near misses: of a box another detection hits)'}
        drawn = min(2, n)  # --pictures 2: one picture per box in this data
        assert f'[error_anatomy] {name}: {drawn} picture(s) drawn to {draw / (name + ".jpg")}' \
            in proc.stdout
        sheet = cv2.imread(str(draw / f'{name}.jpg'))
        assert sheet is not None and sheet.shape[1] > drawn * 400  # tiles of 400 px in a row
