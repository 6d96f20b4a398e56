"""Splits (determinism, stratification, duplicates, NEU-CLS mapping) and the generator."""
import hashlib
import os
import os.path as osp
import shutil
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest

from mmdet_shuffledefect.datasets.neu_classes import NEU_CLASSES, file_class
from mmdet_shuffledefect.data_prep.splits import (cls_to_det_name, det_to_cls_name,
                                                 make_splits_for_dir, split_names)
from mmdet_shuffledefect.data_prep.synthetic import write_neu_cls, write_neu_det


def _names(per_class=30):
    return [f'{c}_{i}' for c in NEU_CLASSES for i in range(1, per_class + 1)]


def test_split_is_deterministic_and_seed_dependent():
    a = split_names(_names(), seed=3)
    assert a == split_names(_names(), seed=3)
    assert a != split_names(_names(), seed=4)
    assert sorted(sum(a.values(), [])) == sorted(_names())


def test_split_is_stratified_70_10_20():
    parts = split_names(_names(30), seed=0)
    for cls in NEU_CLASSES:
        counts = [sum(file_class(n) == cls for n in parts[s]) for s in ('train', 'val', 'test')]
        assert counts == [21, 3, 6], cls


def test_identical_images_share_a_split():
    names = _names(30)
    groups = {n: n for n in names}
    groups['patches_15'] = groups['patches_11'] = 'same-md5'
    for seed in range(10):
        parts = split_names(names, seed=seed, groups=groups)
        where = {n: s for s, ns in parts.items() for n in ns}
        assert where['patches_11'] == where['patches_15']


def test_bad_ratios():
    with pytest.raises(ValueError, match=r'\(0.5, 0.5, 0.5\)'):
        split_names(_names(), ratios=(0.5, 0.5, 0.5))


def test_neu_cls_mapping_round_trip():
    assert det_to_cls_name('crazing_17') == 'Cr_17'
    assert det_to_cls_name('rolled-in_scale_300') == 'RS_300'
    assert cls_to_det_name('PS_4') == 'pitted_surface_4'
    with pytest.raises(ValueError, match="'clean_1'"):
        det_to_cls_name('clean_1')


def test_make_splits_for_dir_groups_byte_identical_files(tmp_path):
    root = tmp_path / 'det'
    write_neu_det(str(root), num_images=40, seed=0)
    stems = sorted(p.stem for p in (root / 'IMAGES').iterdir() if p.stem.startswith('patches'))
    shutil.copy(root / 'IMAGES' / f'{stems[0]}.jpg', root / 'IMAGES' / f'{stems[1]}.jpg')
    det = make_splits_for_dir(str(root), str(tmp_path / 'det_splits'), seed=0,
                              cls_out_dir=str(tmp_path / 'cls_splits'))
    where = {n: s for s, ns in det.items() for n in ns}
    assert where[stems[0]] == where[stems[1]]
    for split in ('train', 'val', 'test'):
        det_lines = (tmp_path / 'det_splits' / f'{split}.txt').read_text().split()
        cls_lines = (tmp_path / 'cls_splits' / f'{split}.txt').read_text().split()
        assert cls_lines == sorted(det_to_cls_name(n) for n in det_lines
                                   if not n.startswith('clean'))


def _tree_digest(root):
    h = hashlib.sha256()
    for dirpath, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            h.update(f.encode())
            with open(os.path.join(dirpath, f), 'rb') as fh:
                h.update(fh.read())
    return h.hexdigest()


def test_generator_is_deterministic(tmp_path):
    write_neu_det(str(tmp_path / 'a'), num_images=20, seed=5)
    write_neu_det(str(tmp_path / 'b'), num_images=20, seed=5)
    write_neu_det(str(tmp_path / 'c'), num_images=20, seed=6)
    assert _tree_digest(tmp_path / 'a') == _tree_digest(tmp_path / 'b')
    assert _tree_digest(tmp_path / 'a') != _tree_digest(tmp_path / 'c')


@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp('gen')
    stats = write_neu_det(str(root), num_images=120, seed=0)
    return root, stats


def _objects(xml_path):
    root = ET.parse(xml_path).getroot()
    out = []
    for obj in root.findall('object'):
        b = obj.find('bndbox')
        out.append((obj.find('name').text,
                    [int(b.find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax')]))
    return out


def test_generator_properties(generated):
    root, stats = generated
    xmls = sorted((root / 'ANNOTATIONS').iterdir())
    assert stats['images'] == len(xmls) == 120
    per_image = [len(_objects(p)) for p in xmls]
    assert stats['negatives'] == per_image.count(0) >= 0.05 * 120
    assert max(per_image) <= 9 and min(n for n in per_image if n) >= 1
    sizes = []
    names = set()
    for p in xmls:
        img = cv2.imread(str(root / 'IMAGES' / f'{p.stem}.jpg'), cv2.IMREAD_UNCHANGED)
        assert img.shape == (200, 200, 3)
        assert np.array_equal(img[..., 0], img[..., 1])  # gray in RGB, as NEU-DET
        for name, (x1, y1, x2, y2) in _objects(p):
            names.add(name)
            assert 1 <= x1 < x2 <= 200 and 1 <= y1 < y2 <= 200
            sizes += [x2 - x1 + 1, y2 - y1 + 1]
    assert names == set(NEU_CLASSES)
    assert min(sizes) >= 8 and max(sizes) <= 200 and max(sizes) >= 150


def test_boxes_are_exact_extents_of_drawn_defects():
    from mmdet_shuffledefect.data_prep.synthetic import SIZE, draw_defect
    rng = np.random.default_rng(0)
    for name in NEU_CLASSES:
        for _ in range(5):
            img = np.zeros((SIZE, SIZE))
            box = draw_defect(img, name, rng)
            if box is None:
                continue
            ys, xs = np.nonzero(img)
            assert box == (xs.min(), ys.min(), xs.max(), ys.max()), name


def test_defect_brightness_ranges_overlap():
    """Per-class mean intensity change overlaps: brightness alone does not separate."""
    from mmdet_shuffledefect.data_prep.synthetic import SIZE, draw_defect
    rng = np.random.default_rng(1)
    ranges = {}
    for name in NEU_CLASSES:
        vals = []
        for _ in range(30):
            img = np.zeros((SIZE, SIZE))
            if draw_defect(img, name, rng) is not None:
                vals.append(np.abs(img[img != 0]).mean())
        ranges[name] = (min(vals), max(vals))
    lo = max(r[0] for r in ranges.values())
    hi = min(r[1] for r in ranges.values())
    assert lo < hi, ranges


def test_neu_cls_generator(tmp_path):
    counts = write_neu_cls(str(tmp_path), per_class=3, seed=0)
    assert counts == {'Cr': 3, 'In': 3, 'Pa': 3, 'PS': 3, 'RS': 3, 'Sc': 3}
    img = cv2.imread(str(tmp_path / 'Sc_2.bmp'), cv2.IMREAD_UNCHANGED)
    assert img.shape == (200, 200) and img.dtype == np.uint8


def test_committed_default_splits():
    """The shipped NEU-DET/NEU-CLS splits: complete, stratified, leak-free, mapped."""
    import os.path as osp

    from mmdet_shuffledefect.data_prep import DEFAULT_SPLIT_LISTS as root
    from mmdet_shuffledefect.datasets import read_split_file
    det = {s: read_split_file(osp.join(root, 'neu-det', f'{s}.txt')) for s in ('train', 'val', 'test')}
    cls = {s: read_split_file(osp.join(root, 'neu-cls', f'{s}.txt')) for s in ('train', 'val', 'test')}
    every = sorted(sum(det.values(), []))
    assert every == sorted(f'{c}_{i}' for c in NEU_CLASSES for i in range(1, 301))
    for cname in NEU_CLASSES:
        assert [sum(file_class(n) == cname for n in det[s]) for s in ('train', 'val', 'test')] \
            == [210, 30, 60]
    where = {n: s for s, ns in det.items() for n in ns}
    assert where['patches_101'] == where['patches_105']  # byte-identical pair
    for s in det:
        assert cls[s] == sorted(det_to_cls_name(n) for n in det[s])


def test_make_synthetic_tool_writes_the_tests_sample(tmp_path):
    """tools/misc/make_synthetic.py writes the same sample as write_neu_det, with splits,
    and refuses to write over an existing one."""
    import filecmp
    import os
    import os.path as osp

    from conftest import run_tool
    from mmdet_shuffledefect.datasets.neu_det import read_split_file
    from mmdet_shuffledefect.data_prep.synthetic import write_neu_det
    out = str(tmp_path / 'tool')
    proc = run_tool(['tools/misc/make_synthetic.py', out, '--images', '60', '--seed', '3'])
    assert proc.returncode == 0, proc.stderr
    write_neu_det(str(tmp_path / 'api'), num_images=60, seed=3)
    names = sorted(os.listdir(osp.join(out, 'IMAGES')))
    assert len(names) == 60 and names == sorted(os.listdir(tmp_path / 'api' / 'IMAGES'))
    _, mismatch, errors = filecmp.cmpfiles(osp.join(out, 'IMAGES'),
                                           str(tmp_path / 'api' / 'IMAGES'), names, shallow=False)
    assert not mismatch and not errors
    listed = []
    for part in ('train', 'val', 'test'):
        listed += read_split_file(osp.join(out, 'splits', f'{part}.txt'))
    assert sorted(listed) == sorted(osp.splitext(n)[0] for n in names)

    again = run_tool(['tools/misc/make_synthetic.py', out])
    assert again.returncode != 0 and 'already has files' in again.stderr


def test_nested_subsets_are_nested_stratified_and_deterministic():
    from mmdet_shuffledefect.data_prep.splits import file_class, nested_subsets
    names = [f'{c}_{i}' for c in ('crazing', 'patches', 'scratches') for i in range(40)]
    subsets = nested_subsets(names, [0.25, 0.5], seed=3)
    assert nested_subsets(names, [0.25, 0.5], seed=3) == subsets
    assert set(subsets[0.25]) < set(subsets[0.5]) < set(names)
    for fraction, part in subsets.items():
        counts = {c: sum(file_class(n) == c for n in part) for c in ('crazing', 'patches')}
        assert counts == {'crazing': round(40 * fraction), 'patches': round(40 * fraction)}
    assert nested_subsets(names, [0.25], seed=4)[0.25] != subsets[0.25]
    with pytest.raises(ValueError, match=r'fractions must be in \(0, 1\], got \[1.5\]'):
        nested_subsets(names, [0.5, 1.5])
    with pytest.raises(ValueError, match='without a stratum'):
        nested_subsets(names, [0.5], strata={'crazing_0': 'crazing'})


def test_make_subsets_tool_writes_nested_files_and_names_bad_input(synth_det, tmp_path):
    from conftest import run_tool
    from mmdet_shuffledefect.datasets.neu_det import read_split_file
    split = tmp_path / 'train.txt'
    shutil.copy(osp.join(synth_det, 'splits', 'train.txt'), split)
    proc = run_tool(['tools/dataset_converters/make_subsets.py', str(split),
                     '--fractions', '0.25', '0.5'])
    assert proc.returncode == 0, proc.stderr
    quarter = read_split_file(str(tmp_path / 'train_25pct.txt'))
    half = read_split_file(str(tmp_path / 'train_50pct.txt'))
    assert set(quarter) < set(half) < set(read_split_file(str(split)))
    assert '| train_25pct.txt |' in proc.stdout and 'stratified by file-name class' in proc.stdout
    missing = run_tool(['tools/dataset_converters/make_subsets.py', str(tmp_path / 'nope.txt'),
                        '--fractions', '0.5'])
    assert missing.returncode == 2 and 'split file not found' in missing.stderr
    own = tmp_path / 'own.txt'
    own.write_text('img_a\nimg_b\n')
    unnamed = run_tool(['tools/dataset_converters/make_subsets.py', str(own),
                        '--fractions', '0.5'])
    assert unnamed.returncode == 2 and 'give --det-root' in unnamed.stderr
