"""Inspection prepares a picture as training did, in the CLI and the API alike (#26 item 5)."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from conftest import CONFIG, REPO, run_tool

CKPT = osp.join(REPO, 'checkpoints', 'sdn_ssd_neu_20261126_120205-48f4e0af.pth')


@pytest.fixture(scope='module')
def pictures(tmp_path_factory):
    from mmdet_shuffledefect.data_prep.synthetic import write_neu_det
    root = tmp_path_factory.mktemp('inspect_defaults')
    write_neu_det(str(root / 'synth'), num_images=4, seed=5)
    names = sorted((root / 'synth' / 'IMAGES').iterdir())
    src = root / 'in'
    src.mkdir()
    big = cv2.resize(cv2.imread(str(names[0])), (400, 400))  # own data, twice NEU's size
    cv2.imwrite(str(src / 'own_400px.png'), big)
    strip = np.concatenate([cv2.imread(str(n)) for n in names] * 2, axis=1)  # 1600 x 200
    cv2.imwrite(str(src / 'strip.png'), strip)
    return src


def test_cli_and_api_share_the_default_and_say_what_was_tiled(pictures, tmp_path):
    from mmdet_shuffledefect.apis import init_inspection_model, inspect_paths
    out = tmp_path / 'cli'
    proc = run_tool(['tools/inspect_defects.py', CONFIG, CKPT, str(pictures), '--out-dir',
                     str(out), '--no-images', '--score-thr', '0.05'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    cli = json.loads((out / 'summary.json').read_text())
    assert cli['tile_size'] == 'auto'
    # the 400-px picture is resized whole as in training; only the 1600-px strip is tiled
    assert [osp.basename(p) for p in cli['tiled_images']] == ['strip.png']
    assert 'over 576 px (3x the model input 192 px) cut into 192-px tiles' in cli['tiling']
    assert 'tiling: auto:' in proc.stdout and '(1 tiled)' in proc.stdout
    model = init_inspection_model(osp.join(REPO, CONFIG), CKPT)
    api = inspect_paths(model, sorted(str(p) for p in pictures.iterdir()), str(tmp_path / 'api'),
                        score_thr=0.05, save_images=False, progress=False)
    assert api['tiled_images'] == cli['tiled_images'] and api['tiling'] == cli['tiling']
    assert api['counts_per_class'] == cli['counts_per_class']
    # asked for, tiles are used for the 400-px picture too, and said
    forced = inspect_paths(model, [str(pictures / 'own_400px.png')], str(tmp_path / 'forced'),
                           score_thr=0.05, tile_size=224, save_images=False, progress=False)
    assert [osp.basename(p) for p in forced['tiled_images']] == ['own_400px.png']
    none = inspect_paths(model, [str(pictures / 'strip.png')], str(tmp_path / 'none'),
                         score_thr=0.05, tile_size=0, save_images=False, progress=False)
    assert none['tiled_images'] == [] and none['tiling'].startswith('off:')


def test_bad_tile_size_is_refused(pictures, tmp_path):
    proc = run_tool(['tools/inspect_defects.py', CONFIG, CKPT, str(pictures), '--tile-size',
                     'big', '--out-dir', str(tmp_path)])
    assert proc.returncode == 2 and "expected 'auto' or a number of px, got 'big'" in proc.stderr
    from mmdet_shuffledefect.inspection import resolve_tiling
    with pytest.raises(ValueError, match="tile_size must be 'auto', a positive int or 0/None, "
                       "got -3"):
        resolve_tiling(None, -3, [])


def test_the_api_and_the_station_apply_the_checkpoints_thresholds_by_default(pictures, tmp_path):
    """No threshold given: the per-class ones the published checkpoint carries, said in the
    summary; a checkpoint that carries none: 0.3, said to be the default."""
    from mmdet_shuffledefect.apis import init_inspection_model, inspect_paths
    from mmdet_shuffledefect.inspection.station import InspectionStation
    from mmdet_shuffledefect.utils.checkpoint_fit import checkpoint_meta
    carried = checkpoint_meta(CKPT)['inspection_score_thr']
    assert isinstance(carried, dict) and len(set(carried.values())) > 1  # per class
    model = init_inspection_model(osp.join(REPO, CONFIG), CKPT)
    paths = [str(pictures / 'own_400px.png')]
    summary = inspect_paths(model, paths, str(tmp_path / 'own'), save_images=False,
                            progress=False)
    assert summary['score_thr'] == carried
    assert summary['score_thr_source'] == "the checkpoint's own"
    station = InspectionStation(model, None, str(tmp_path), progress=False)
    assert dict(zip(model.dataset_meta['classes'], station.thresholds.tolist())) == carried
    model.inspection_score_thr = None
    summary = inspect_paths(model, paths, str(tmp_path / 'none'), save_images=False,
                            progress=False)
    assert summary['score_thr'] == 0.3
    assert summary['score_thr_source'].startswith('the default (neither checkpoint nor config')
