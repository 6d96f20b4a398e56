"""Classical NEU-CLS baselines (mmdet_shuffledefect/classical): CLBP, AECLBP, BYEC.

Synthetic textures only: the descriptors' claimed invariances, histogram sizes, agreement
with scikit-image's LBP, separation of two texture classes, and bad input.
"""
import json
import pickle

import cv2
import numpy as np
import pytest
from conftest import CLS_CONFIG, STUDY_TOOLS, run_tool

from sdn_study.classical import (BYEC_FEATURE_GROUPS, NUM_BYEC_FEATURES, BYECClassifier,
                                 CLBPDescriptor, build_model, byec_features, clbp_codes,
                                 fit_method, method, riu2_lookup)

#: benchmark.py times the study's classical classifiers once this module registers them
KIND = ['--custom-imports', 'sdn_study.classical.bench']


def texture(seed: int, blur: float, size: int = 64) -> np.ndarray:
    """Grey noise smoothed at ``blur`` px, stretched to 0..255 (float, no ties)."""
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.normal(0, 1, (size, size)), (0, 0), blur)
    img = (img - img.min()) / (img.max() - img.min())
    return 20 + 200 * img


@pytest.mark.parametrize('points', [4, 8, 16])
def test_riu2_lookup_has_p_plus_2_values(points):
    table = riu2_lookup(points)
    assert table.shape == (2 ** points,)
    assert set(np.unique(table)) == set(range(points + 2))
    # uniform codes map to their number of ones; a rotation of a code maps alike
    assert table[0] == 0 and table[2 ** points - 1] == points
    assert table[0b0111] == table[0b0111 << (points - 3)] == 3
    assert table[0b0101] == points + 1


@pytest.mark.parametrize('points,radius', [(8, 1), (16, 2), (24, 3)])
def test_sign_codes_equal_scikit_image_uniform_lbp(points, radius):
    from skimage.feature import local_binary_pattern
    img = texture(0, 1.5).astype(np.uint8)  # integer grey levels, as in real pictures
    s_code, _, _ = clbp_codes(img.astype(np.float64), points, radius)
    reference = local_binary_pattern(img, points, radius, method='uniform')
    m = radius
    inner = reference[m:-m, m:-m]
    # identical except where an interpolated neighbour ties the centre within rounding
    assert (s_code == inner).mean() > 0.999


@pytest.mark.parametrize('adjacent', [False, True])
def test_histogram_sizes_and_normalisation(adjacent):
    d = CLBPDescriptor(scales=((8, 1), (16, 2), (24, 3)), adjacent_evaluation=adjacent)
    feats = d(texture(1, 1.0))
    assert d.num_features == 10 * 10 * 2 + 18 * 18 * 2 + 26 * 26 * 2 == 2200
    assert feats.shape == (2200,)
    sizes = [200, 648, 1352]
    for part in np.split(feats, np.cumsum(sizes)[:-1]):
        assert part.sum() == pytest.approx(1.0)


@pytest.mark.parametrize('adjacent', [False, True])
def test_invariant_to_grey_level_shift(adjacent):
    d = CLBPDescriptor(adjacent_evaluation=adjacent)
    img = texture(2, 1.2)
    np.testing.assert_array_equal(d(img), d(img + 17.0))


@pytest.mark.parametrize('adjacent', [False, True])
@pytest.mark.parametrize('scale', [(8, 1), (16, 2)])
def test_rotation_invariant_codes_under_quarter_turns(adjacent, scale):
    d = CLBPDescriptor(scales=(scale,), adjacent_evaluation=adjacent)
    img = texture(3, 1.0)
    np.testing.assert_allclose(d(np.rot90(img)), d(img), atol=1e-12)
    np.testing.assert_allclose(d(np.rot90(img, 2)), d(img), atol=1e-12)
    # but not invariant to everything: a differently smoothed texture differs
    assert np.abs(d(texture(3, 3.0)) - d(img)).sum() > 0.1


def test_adjacent_evaluation_is_more_robust_to_noise_than_clbp():
    """Song and Yan's claim: a noisy centre no longer flips all bits at once."""
    rng = np.random.default_rng(5)
    dist = {}
    for adjacent in (False, True):
        d = CLBPDescriptor(scales=((8, 1),), adjacent_evaluation=adjacent)
        changes = []
        for seed in range(4):
            img = texture(10 + seed, 2.0, size=96)
            noisy = img + rng.normal(0, 8, img.shape)
            changes.append(np.abs(d(noisy) - d(img)).sum())
        dist[adjacent] = float(np.mean(changes))
    assert dist[True] < dist[False], dist


def test_adjacent_evaluation_differs_from_clbp():
    img = texture(4, 1.0)
    assert np.abs(CLBPDescriptor(adjacent_evaluation=True)(img)
                  - CLBPDescriptor()(img)).sum() > 0.05


def test_byec_feature_vector():
    assert NUM_BYEC_FEATURES == sum(BYEC_FEATURE_GROUPS.values()) == 177
    feats = byec_features(texture(6, 1.5).astype(np.uint8))
    assert feats.shape == (NUM_BYEC_FEATURES,) and np.isfinite(feats).all()
    # a flat picture has no defect region and no texture, and does not fail
    flat = byec_features(np.full((40, 40), 128, np.uint8))
    assert np.isfinite(flat).all()


def texture_set(count: int, seed: int):
    """Two texture classes: fine grain (blur 0.7 px) and coarse grain (blur 2.5 px)."""
    images, labels = [], []
    for i in range(count):
        images.append(texture(seed + i, 0.7 if i % 2 == 0 else 2.5, size=48).astype(np.uint8))
        labels.append(i % 2)
    return images, np.array(labels)


@pytest.mark.parametrize('name', ['clbp', 'aeclbp', 'byec'])
def test_classifier_separates_two_synthetic_textures(name):
    train_images, train_labels = texture_set(24, seed=100)
    test_images, test_labels = texture_set(12, seed=500)
    model = build_model(name)
    features = model.features(train_images, threads=2)
    fitted = fit_method(name, features, train_labels, inner_folds=3, seed=0)
    assert set(fitted.best_params) == set(method(name).grid)
    assert (fitted.predict(test_images) == test_labels).mean() >= 0.9
    # a fitted model survives pickling (what the cross-validation saves per fold)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(test_images), fitted.predict(test_images))


def test_byec_adapt_updates_the_bayes_kernel_only():
    images, labels = texture_set(20, seed=7)
    x = np.stack([byec_features(i) for i in images])
    clf = BYECClassifier(num_svms=4, random_state=0).fit(x, labels)
    counts = [c.sum() for c in clf.kernel_.category_count_]
    svm_before = [s.predict(x[:, f]) for s, f in zip(clf.svms_, clf.subspaces_)]
    clf.adapt(x[:6], labels[:6])
    assert [c.sum() for c in clf.kernel_.category_count_] == [n + 6 for n in counts]
    for s, f, before in zip(clf.svms_, clf.subspaces_, svm_before):
        np.testing.assert_array_equal(s.predict(x[:, f]), before)
    with pytest.raises(ValueError, match=r'outside the trained classes \[0, 1\]'):
        clf.adapt(x[:2], np.array([0, 5]))


def test_bad_input_is_refused_by_name():
    d = CLBPDescriptor()
    colour = np.zeros((64, 64, 3), np.uint8)
    colour[:, :, 2] = 200
    with pytest.raises(ValueError, match='expected a grey picture, got 3 channels that differ'):
        d(colour)
    # an equal-channel BGR picture (NEU-DET's JPEGs) is a grey picture
    grey3 = np.repeat(texture(8, 1.0).astype(np.uint8)[:, :, None], 3, axis=2)
    assert d(grey3).shape == (2200,)
    with pytest.raises(ValueError, match='picture of 12x12 px is too small: these scales need '
                       'at least 14x14 px'):
        d(np.zeros((12, 12)))
    with pytest.raises(ValueError, match='too small'):
        byec_features(np.zeros((8, 30)))
    with pytest.raises(ValueError, match=r'expected a 2-D grey picture, got an array of shape'):
        d(np.zeros((2, 20, 20, 3)))
    with pytest.raises(ValueError, match=r'scales must be \(P >= 4, R > 0\) pairs'):
        CLBPDescriptor(scales=((2, 1),))
    with pytest.raises(ValueError, match='window must be an odd size >= 3, got 4'):
        CLBPDescriptor(adjacent_evaluation=True, window=4)
    with pytest.raises(ValueError, match="unknown classical method 'lbp'; known: aeclbp, "
                       'byec, clbp'):
        method('lbp')


def test_cross_validate_classical_end_to_end(cls_root, tmp_path):
    work = tmp_path / 'cv_clbp'
    args = [f'{STUDY_TOOLS}/cross_validate.py', CLS_CONFIG, '--folds', '2', '--data-root',
            str(cls_root), '--work-dir', str(work), '--inner-folds', '2', '--classical', 'clbp']
    proc = run_tool(args)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert '36 images, 35 distinct, 2 folds of 18, 18' in proc.stdout
    summary = json.loads((work / 'summary.json').read_text())
    assert summary['images'] == 36 and len(summary['per_fold']) == 2
    for i in range(2):
        result = json.loads((work / f'fold{i}' / 'result.json').read_text())
        assert result['checkpoint'].startswith('model.pkl ({')
        assert result['images'] == 18 and 'git_commit' in result['environment']
        with open(work / f'fold{i}' / 'model.pkl', 'rb') as f:
            assert pickle.load(f).name == 'clbp'
    assert 'classical method `clbp`' in (work / 'summary.md').read_text()
    proc = run_tool(args)  # resumes: features cached, folds skipped
    assert proc.returncode == 0 and proc.stdout.count('done before, skipped') == 2
    assert 'extracting features' not in proc.stdout
    bad = run_tool(args[:-1] + ['lbp'])
    assert bad.returncode == 2
    assert "--classical 'lbp' is not a known method; known: aeclbp, byec, clbp" in bad.stderr
    # 3 pictures per class in a fold's training part cannot make 5 inner folds
    bad = run_tool([f'{STUDY_TOOLS}/cross_validate.py', CLS_CONFIG, '--folds', '2', '--data-root',
                    str(cls_root), '--work-dir', str(tmp_path / 'inner5'), '--classical',
                    'clbp'])
    assert bad.returncode == 2
    assert ('fold 0: inner cross-validation needs 2 <= inner_folds <= the pictures of the '
            'smallest class (3), got inner_folds=5; lower --inner-folds') in bad.stderr
    # the benchmark times a fold's fitted model: features only, and the whole classifier
    images = str(cls_root / 'images')
    proc = run_tool(['tools/analysis_tools/benchmark.py', *KIND,
                     f'classical:clbp:{work / "fold0" / "model.pkl"}', '--threads', '2',
                     '--images', images, '--batch-size', '1', '2', '--warmup', '0',
                     '--repeats', '2', '--json', str(tmp_path / 'bench.json')])
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = json.loads((tmp_path / 'bench.json').read_text())['rows']
    assert [(r['batch'], r['row']) for r in rows] == [
        (1, 'features only'), (1, 'whole classifier (features + classifier)'),
        (2, 'features only'), (2, 'whole classifier (features + classifier)')]
    assert all(r['p50'] > 0 and r['config'] == 'classical:clbp' for r in rows)
    env = json.loads((tmp_path / 'bench.json').read_text())['environment']
    assert 'scikit-learn' in env and 'scikit-image' in env
    proc = run_tool(['tools/analysis_tools/benchmark.py', *KIND, f'classical:aeclbp:{work}/x.pkl'])
    assert proc.returncode == 2 and f'classical model file {work}/x.pkl does not exist' in \
        proc.stderr
    proc = run_tool(['tools/analysis_tools/benchmark.py', *KIND, 'classical:hog:m.pkl'])
    assert proc.returncode == 2 and ('classical:hog:m.pkl: expected classical:NAME:MODEL.pkl '
                                     'with NAME one of aeclbp, byec, clbp') in proc.stderr
    proc = run_tool(['tools/analysis_tools/benchmark.py', *KIND,
                     f'classical:aeclbp:{work / "fold0" / "model.pkl"}', '--images', images,
                     '--batch-size', '1', '--repeats', '1', '--warmup', '0'])
    assert proc.returncode == 2 and "holds a 'clbp' model, not 'aeclbp'" in proc.stderr
    # without the study's module, the product's benchmark does not know the kind
    proc = run_tool(['tools/analysis_tools/benchmark.py', 'classical:clbp:m.pkl'])
    assert proc.returncode == 2 and ("classical:clbp:m.pkl: no config classical, and "
                                     "'classical' is no registered kind of model") in proc.stderr
    proc = run_tool(['tools/analysis_tools/benchmark.py', '--custom-imports', 'sdn_study.nope',
                     'classical:clbp:m.pkl'])
    assert proc.returncode == 2 and '--custom-imports sdn_study.nope: cannot import it' in \
        proc.stderr
