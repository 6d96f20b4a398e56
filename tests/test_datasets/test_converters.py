"""YOLO and COCO converters: lossless round trips and every reported problem."""
import json
import re
import shutil
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest

from mmdet_shuffledefect.data_prep.converters import coco_to_neu, yolo_to_neu
from mmdet_shuffledefect.data_prep.voc_xml import write_voc_xml

from conftest import run_tool

CLASSES = ['crazing', 'scratches']


def _objects(path):
    out = []
    for obj in ET.parse(path).getroot().findall('object'):
        b = obj.find('bndbox')
        out.append((obj.find('name').text,
                    tuple(int(b.find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax'))))
    return out


def _voc_to_yolo(objs, w, h):
    lines = []
    for name, (x1, y1, x2, y2) in objs:
        cx, cy = (x1 - 1 + x2) / 2 / w, (y1 - 1 + y2) / 2 / h
        lines.append(f'{CLASSES.index(name)} {cx:.6f} {cy:.6f} {(x2 - x1 + 1) / w:.6f} '
                     f'{(y2 - y1 + 1) / h:.6f}')
    return '\n'.join(lines) + '\n'


ORIGINAL = {'crazing_1': [('crazing', (1, 81, 117, 146)), ('scratches', (150, 1, 200, 200))],
            'scratches_2': [('scratches', (9, 9, 17, 190))]}


@pytest.fixture
def yolo_tree(tmp_path):
    img, lab = tmp_path / 'images', tmp_path / 'labels'
    img.mkdir()
    lab.mkdir()
    rng = np.random.default_rng(0)
    for stem, objs in ORIGINAL.items():
        cv2.imwrite(str(img / f'{stem}.jpg'), rng.integers(0, 255, (200, 200, 3), np.uint8))
        (lab / f'{stem}.txt').write_text(_voc_to_yolo(objs, 200, 200))
    return img, lab


def test_yolo_round_trip_is_lossless(yolo_tree, tmp_path):
    img, lab = yolo_tree
    report = yolo_to_neu(str(img), str(lab), CLASSES, str(tmp_path / 'out'))
    assert report['converted'] == 2 and report['problems'] == []
    for stem, objs in ORIGINAL.items():
        assert _objects(tmp_path / 'out' / 'ANNOTATIONS' / f'{stem}.xml') == objs


def test_yolo_problems_are_reported(yolo_tree, tmp_path):
    img, lab = yolo_tree
    shutil.copy(img / 'crazing_1.jpg', img / 'crazing copy.jpg')  # space + identical bytes
    (lab / 'crazing copy.txt').write_text('0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.1 0.1\n'
                                          '1 1.4 0.5 0.1 0.1\n1 abc\n')
    cv2.imwrite(str(img / 'clean_9.png'), np.zeros((200, 200, 3), np.uint8))  # no label
    (lab / 'ghost.txt').write_text('0 0.5 0.5 0.1 0.1\n')  # label without image
    out = tmp_path / 'out'
    proc = run_tool(['tools/dataset_converters/yolo2neu.py', str(img), str(lab), str(out),
                     '--classes'] + CLASSES)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / 'conversion_report.json').read_text())
    kinds = report['problem_counts']
    assert kinds == {'space_in_name': 1, 'identical_image': 1, 'image_without_label': 1,
                     'label_without_image': 1, 'out_of_range': 2, 'malformed_line': 1}
    assert 'ghost.txt' in proc.stdout and 'class id 7 not in 0..1' in proc.stdout
    assert (out / 'IMAGES' / 'crazing_copy.jpg').exists()
    assert _objects(out / 'ANNOTATIONS' / 'crazing_copy.xml') == [('crazing', (81, 81, 120, 120))]
    assert _objects(out / 'ANNOTATIONS' / 'clean_9.xml') == []
    assert report['converted'] == 4


def test_coco_round_trip_and_problems(tmp_path):
    img = tmp_path / 'images'
    img.mkdir()
    rng = np.random.default_rng(1)
    for name in ('a.jpg', 'b 2.jpg', 'c.jpg'):
        cv2.imwrite(str(img / name), rng.integers(0, 255, (100, 150, 3), np.uint8))
    coco = {
        'categories': [{'id': 1, 'name': 'inclusion'}, {'id': 3, 'name': 'patches'}],
        'images': [{'id': 1, 'file_name': 'a.jpg', 'width': 150, 'height': 100},
                   {'id': 2, 'file_name': 'b 2.jpg', 'width': 150, 'height': 100},
                   {'id': 3, 'file_name': 'c.jpg', 'width': 150, 'height': 100},
                   {'id': 4, 'file_name': 'missing.jpg', 'width': 150, 'height': 100}],
        'annotations': [
            {'id': 1, 'image_id': 1, 'category_id': 1, 'bbox': [0, 9, 30, 41]},
            {'id': 2, 'image_id': 1, 'category_id': 3, 'bbox': [100, 50, 50, 50]},
            {'id': 3, 'image_id': 2, 'category_id': 9, 'bbox': [1, 1, 5, 5]},
            {'id': 4, 'image_id': 2, 'category_id': 1, 'bbox': [140, 10, 30, 10]},
            {'id': 5, 'image_id': 77, 'category_id': 1, 'bbox': [1, 1, 5, 5]}]}
    (tmp_path / 'coco.json').write_text(json.dumps(coco))
    report = coco_to_neu(str(tmp_path / 'coco.json'), str(img), str(tmp_path / 'out'))
    assert _objects(tmp_path / 'out' / 'ANNOTATIONS' / 'a.xml') == [
        ('inclusion', (1, 10, 30, 50)), ('patches', (101, 51, 150, 100))]
    assert report['problem_counts'] == {'label_without_image': 2, 'space_in_name': 1,
                                        'out_of_range': 2, 'image_without_label': 1,
                                        'all_boxes_rejected': 1}  # b 2.jpg: both refused
    assert report['converted'] == 3


def test_coco_bad_file(tmp_path):
    (tmp_path / 'x.json').write_text('{"images": []')
    with pytest.raises(ValueError, match=r'x\.json is not valid JSON'):
        coco_to_neu(str(tmp_path / 'x.json'), str(tmp_path), str(tmp_path / 'o'))
    (tmp_path / 'y.json').write_text('{"images": []}')
    with pytest.raises(ValueError, match='no "annotations" list'):
        coco_to_neu(str(tmp_path / 'y.json'), str(tmp_path), str(tmp_path / 'o'))


def test_converted_tree_loads_in_dataset(yolo_tree, tmp_path):
    from mmdet_shuffledefect.datasets import NEUDETDataset
    img, lab = yolo_tree
    yolo_to_neu(str(img), str(lab), CLASSES, str(tmp_path / 'out'))
    ds = NEUDETDataset(data_root=str(tmp_path / 'out'), ann_file='', pipeline=[],
                       metainfo=dict(classes=tuple(CLASSES)))
    assert len(ds) == 2
    assert [i['bbox'] for i in ds.get_data_info(0)['instances']] == [[0., 80., 116., 145.],
                                                                      [149., 0., 199., 199.]]


def test_yolo_names_every_picture_it_alters_or_refuses(yolo_tree, tmp_path):
    """Suffixes in any case, TIFF, two pictures with one stem, a picture whose every box
    was rejected: each reported by name with what was done."""
    from PIL import Image
    img, lab = yolo_tree
    picture = np.random.default_rng(2).integers(0, 255, (200, 200, 3), np.uint8)
    cv2.imwrite(str(img / 'upper.Jpg'), picture)
    (lab / 'upper.txt').write_text('0 0.5 0.5 0.2 0.2\n')
    Image.fromarray(picture).save(img / 'scan.tif')
    (lab / 'scan.txt').write_text('1 0.5 0.5 0.2 0.2\n')
    cv2.imwrite(str(img / 'twin.jpg'), picture)
    cv2.imwrite(str(img / 'twin.png'), picture[::-1])
    (lab / 'twin.txt').write_text('0 0.5 0.5 0.2 0.2\n')
    cv2.imwrite(str(img / 'lost.png'), picture[:, ::-1])
    (lab / 'lost.txt').write_text('5 0.5 0.5 0.2 0.2\n')  # its only box: an unknown class
    out = tmp_path / 'out'
    report = yolo_to_neu(str(img), str(lab), CLASSES, str(out))
    problems = {(p['kind'], p['item'].rsplit('/', 1)[-1]): p['detail']
                for p in report['problems']}
    assert problems[('suffix_case', 'upper.Jpg')] == 'written with the suffix .jpg'
    assert (out / 'IMAGES' / 'upper.jpg').is_file()
    assert _objects(out / 'ANNOTATIONS' / 'upper.xml') == [('crazing', (81, 81, 120, 120))]
    assert 'TIFF written as PNG' in problems[('converted_format', 'scan.tif')]
    assert Image.open(out / 'IMAGES' / 'scan.png').size == (200, 200)
    shared = [p for p in report['problems'] if p['kind'] == 'shared_stem']
    assert len(shared) == 1 and 'twin.jpg' in shared[0]['item'] and 'twin.png' in \
        shared[0]['item'] and "share the name 'twin'" in shared[0]['detail']
    assert not list((out / 'IMAGES').glob('twin.*'))
    assert 'written as a defect-free image' in problems[('all_boxes_rejected', 'lost.png')]
    assert _objects(out / 'ANNOTATIONS' / 'lost.xml') == []
    assert report['problem_counts']['shared_stem'] == 1
    assert report['converted'] == 5  # the two originals, upper, scan, lost


@pytest.mark.parametrize('images,categories,message', [
    ([{'id': 1, 'file_name': 'a.jpg'}, {'id': 1, 'file_name': 'b.jpg'}], [],
     "image id 1 is given twice (a.jpg and b.jpg); COCO image ids must be unique"),
    ([{'id': 1}], [], 'images[0] has no "file_name"'),
    ([], [{'id': 1}], 'categories[0] has no "name"'),
    (['a.jpg'], [], 'images[0] is not an object'),
])
def test_coco_refuses_ambiguous_or_incomplete_files_by_name(tmp_path, images, categories,
                                                            message):
    path = tmp_path / 'c.json'
    path.write_text(json.dumps({'images': images, 'annotations': [],
                                'categories': categories}))
    with pytest.raises(ValueError, match=re.escape(message)):
        coco_to_neu(str(path), str(tmp_path), str(tmp_path / 'o'))
    proc = run_tool(['tools/dataset_converters/coco2neu.py', str(path), str(tmp_path),
                     str(tmp_path / 'o2')])
    assert proc.returncode != 0 and message in proc.stderr
    assert 'Traceback' not in proc.stderr
