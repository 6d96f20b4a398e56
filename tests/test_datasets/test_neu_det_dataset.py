"""NEUDETDataset on a tiny tree with every quirk of the real NEU-DET files."""
import os
import warnings

import cv2
import numpy as np
import pytest

from mmdet_shuffledefect.datasets import NEUDETDataset
from mmdet_shuffledefect.data_prep.voc_xml import write_voc_xml


def _xml(path, filename, objects, indent='\t'):
    write_voc_xml(str(path), filename, 200, 200, objects)
    if indent != '\t':  # the 174 real files indented with spaces
        path.write_text(path.read_text().replace('\t', indent))


@pytest.fixture
def quirky(tmp_path):
    """Seven images carrying the real quirks (see SOURCE.md)."""
    img, ann = tmp_path / 'IMAGES', tmp_path / 'ANNOTATIONS'
    img.mkdir()
    ann.mkdir()
    gray = np.full((200, 200), 120, np.uint8)
    rgb_equal = cv2.merge([gray] * 3)
    # 1. <filename> without extension, space-indented (pitted_surface_1)
    cv2.imwrite(str(img / 'pitted_surface_1.jpg'), rgb_equal)
    _xml(ann / 'pitted_surface_1.xml', 'pitted_surface_1',
         [('pitted_surface', (10, 20, 60, 90), 0)], indent='  ')
    # 2. mixed classes inside one image (scratches file with an inclusion box)
    cv2.imwrite(str(img / 'scratches_228.jpg'), rgb_equal)
    _xml(ann / 'scratches_228.xml', 'scratches_228.jpg',
         [('scratches', (5, 1, 30, 200), 0), ('inclusion', (100, 100, 140, 150), 0)])
    # 3. exact duplicate box (crazing_120) + 4. coordinates touching 200
    cv2.imwrite(str(img / 'crazing_120.jpg'), rgb_equal)
    _xml(ann / 'crazing_120.xml', 'crazing_120.jpg',
         [('crazing', (1, 81, 117, 146), 0), ('crazing', (1, 81, 117, 146), 0),
          ('crazing', (150, 1, 200, 200), 0)])
    # 5. a difficult box
    cv2.imwrite(str(img / 'inclusion_7.jpg'), rgb_equal)
    _xml(ann / 'inclusion_7.xml', 'inclusion_7.jpg',
         [('inclusion', (40, 40, 60, 120), 1), ('inclusion', (90, 10, 110, 60), 0)])
    # 6. a single-channel grayscale image
    cv2.imwrite(str(img / 'patches_3.jpg'), gray)
    _xml(ann / 'patches_3.xml', 'patches_3.jpg', [('patches', (20, 30, 120, 140), 0)])
    # 7. a .png image
    cv2.imwrite(str(img / 'rolled-in_scale_9.png'), rgb_equal)
    _xml(ann / 'rolled-in_scale_9.xml', 'rolled-in_scale_9.jpg',
         [('rolled-in_scale', (8, 8, 16, 17), 0)])
    # 8. a negative (defect-free) image
    cv2.imwrite(str(img / 'clean_1.bmp'), gray)
    _xml(ann / 'clean_1.xml', 'clean_1.bmp', [])
    split = tmp_path / 'all.txt'
    split.write_text('\n'.join(sorted(p.stem for p in ann.iterdir())) + '\n')
    return tmp_path


def _load(root, test_mode=False, ann_file='all.txt', **kw):
    ds = NEUDETDataset(data_root=str(root), ann_file=ann_file, test_mode=test_mode,
                       pipeline=[], **kw)
    return {d['img_id']: d for d in (ds.get_data_info(i) for i in range(len(ds)))}, ds


def _boxes(info):
    return [(i['bbox_label'], i['bbox'], i['ignore_flag']) for i in info['instances']]


def test_exact_instances_labels_and_coordinates(quirky):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        data, ds = _load(quirky)
    assert len(ds) == 7
    assert sum(len(d['instances']) for d in data.values()) == 9
    # 1-based XML corners shifted by -1 (mmdet's VOC convention)
    assert _boxes(data['pitted_surface_1']) == [(3, [9., 19., 59., 89.], 0)]
    assert data['pitted_surface_1']['img_path'].endswith('pitted_surface_1.jpg')
    assert _boxes(data['scratches_228']) == [(5, [4., 0., 29., 199.], 0),
                                             (1, [99., 99., 139., 149.], 0)]
    # duplicate dropped once with a warning naming the file; touching 200 -> 199
    assert _boxes(data['crazing_120']) == [(0, [0., 80., 116., 145.], 0),
                                           (0, [149., 0., 199., 199.], 0)]
    dup = [str(w.message) for w in caught if 'duplicate' in str(w.message)]
    assert len(dup) == 1 and 'crazing_120.xml' in dup[0]
    # difficult boxes are positives in training
    assert _boxes(data['inclusion_7']) == [(1, [39., 39., 59., 119.], 0),
                                           (1, [89., 9., 109., 59.], 0)]
    assert data['rolled-in_scale_9']['img_path'].endswith('.png')
    assert _boxes(data['rolled-in_scale_9']) == [(4, [7., 7., 15., 16.], 0)]
    assert data['clean_1']['instances'] == []  # negatives kept
    assert (data['patches_3']['width'], data['patches_3']['height']) == (200, 200)


def test_difficult_ignored_in_test_mode(quirky):
    data, _ = _load(quirky, test_mode=True)
    assert [i['ignore_flag'] for i in data['inclusion_7']['instances']] == [1, 0]


def test_grayscale_and_rgb_images_load_through_pipeline(quirky):
    ds = NEUDETDataset(data_root=str(quirky), ann_file='all.txt', pipeline=[
        dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True)])
    shapes = {os.path.basename(ds[i]['img_path']): ds[i]['img'].shape for i in range(len(ds))}
    assert shapes['patches_3.jpg'] == (200, 200, 3)
    assert shapes['scratches_228.jpg'] == (200, 200, 3)
    assert shapes['clean_1.bmp'] == (200, 200, 3)


def test_folder_per_split_layout(quirky, tmp_path_factory):
    _, ds = _load(quirky, ann_file='', data_prefix=dict(img='IMAGES', ann='ANNOTATIONS'))
    assert len(ds) == 7


def test_own_classes_override(quirky):
    sub = quirky / 'only.txt'
    sub.write_text('crazing_120\n')
    data, ds = _load(quirky, ann_file='only.txt', metainfo=dict(classes=('crazing', )))
    assert ds.metainfo['classes'] == ('crazing', )
    assert [i['bbox_label'] for i in data['crazing_120']['instances']] == [0, 0]


def test_unknown_class_is_an_error_naming_file_and_class(quirky):
    _xml(quirky / 'ANNOTATIONS' / 'patches_3.xml', 'patches_3.jpg',
         [('patchs', (20, 30, 120, 140), 0)])
    with pytest.raises(ValueError, match=r"patches_3\.xml: object class 'patchs' is not"):
        _load(quirky)


def test_xml_without_image(quirky):
    os.remove(quirky / 'IMAGES' / 'patches_3.jpg')
    with pytest.raises(FileNotFoundError, match=r'no image for annotation .*patches_3\.xml'):
        _load(quirky)


def test_split_lists_missing_annotation(quirky):
    (quirky / 'bad.txt').write_text('crazing_999\n')
    with pytest.raises(FileNotFoundError, match=r'crazing_999\.xml does not exist'):
        _load(quirky, ann_file='bad.txt')


def test_malformed_xml(quirky):
    (quirky / 'ANNOTATIONS' / 'patches_3.xml').write_text('<annotation><object>')
    with pytest.raises(ValueError, match=r'patches_3\.xml is not well-formed XML'):
        _load(quirky)


def test_unreadable_image(quirky):
    (quirky / 'IMAGES' / 'patches_3.jpg').write_bytes(b'this is not a jpeg')
    with pytest.raises(ValueError, match=r'patches_3\.jpg cannot be read as an image'):
        _load(quirky)


def test_box_outside_image_is_clipped_with_warning(quirky):
    _xml(quirky / 'ANNOTATIONS' / 'patches_3.xml', 'patches_3.jpg',
         [('patches', (-5, 30, 230, 140), 0)])
    with pytest.warns(UserWarning, match=r'patches_3\.xml: 1 box\(es\) outside'):
        data, _ = _load(quirky)
    assert _boxes(data['patches_3']) == [(2, [0., 29., 199., 139.], 0)]
