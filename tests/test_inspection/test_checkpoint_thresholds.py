"""Alarm thresholds carried by the checkpoint they were chosen on: written by
publish_model.py --score-thr, read by the inspection tools (a config's or --score-thr
override them, said) and kept by the ONNX export."""
import json
import os.path as osp

import cv2
import pytest
from conftest import CONFIG, REPO, run_tool

from mmdet_shuffledefect.utils.score_thresholds import META_KEY, parse_spec

CKPT = osp.join(REPO, 'checkpoints', 'sdn_ssd_neu_20261126_120205-48f4e0af.pth')
PUBLISH = 'tools/model_converters/publish_model.py'
LINE = dict(crazing=0.15, inclusion=0.2, patches=0.5, pitted_surface=0.25,
            **{'rolled-in_scale': 0.2}, scratches=0.15)
SPEC = ','.join(f'{k}={v:g}' for k, v in LINE.items())
TEXT = ('crazing=0.15,inclusion=0.2,patches=0.5,pitted_surface=0.25,rolled-in_scale=0.2,'
        'scratches=0.15')


def test_the_command_line_form_is_parsed_and_bad_parts_are_named():
    assert parse_spec('0.3') == 0.3
    assert parse_spec(SPEC) == LINE and SPEC == TEXT
    with pytest.raises(ValueError, match="'crazing:0.2' is not 'class=number'"):
        parse_spec('crazing:0.2')
    with pytest.raises(ValueError, match="'patches=high' is not 'class=number'"):
        parse_spec('crazing=0.2,patches=high')
    with pytest.raises(ValueError, match="'crazing' is given twice"):
        parse_spec('crazing=0.2,crazing=0.3')


@pytest.fixture(scope='module')
def published(tmp_path_factory):
    """The published SSD checkpoint republished with the line thresholds, and pictures."""
    from mmdet_shuffledefect.data_prep.synthetic import write_neu_det
    root = tmp_path_factory.mktemp('ckpt_thr')
    proc = run_tool([PUBLISH, CKPT, str(root / 'ssd_line.pth'), '--config', CONFIG,
                     '--score-thr', SPEC])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f'alarm thresholds carried: {LINE}' in proc.stdout
    (path, ) = [str(p) for p in root.glob('ssd_line-*.pth')]
    write_neu_det(str(root / 'synth'), num_images=4, seed=3)
    src = root / 'in'
    src.mkdir()
    for i, name in enumerate(sorted((root / 'synth' / 'IMAGES').iterdir())):
        cv2.imwrite(str(src / f'{i}.png'), cv2.imread(str(name)))
    return path, src


def test_publish_stores_them_and_a_republish_keeps_them(published, tmp_path):
    from mmdet_shuffledefect.utils.checkpoint_fit import checkpoint_meta
    path, _ = published
    assert checkpoint_meta(path)[META_KEY] == LINE
    assert checkpoint_meta(CKPT)[META_KEY] != LINE  # the zoo's file is not changed
    proc = run_tool([PUBLISH, path, str(tmp_path / 'again.pth')])
    assert proc.returncode == 0, proc.stderr[-2000:]
    (again, ) = tmp_path.glob('again-*.pth')
    assert checkpoint_meta(str(again))[META_KEY] == LINE
    proc = run_tool([PUBLISH, path, str(tmp_path / 'one.pth'), '--score-thr', '0.25'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    (one, ) = tmp_path.glob('one-*.pth')
    assert checkpoint_meta(str(one))[META_KEY] == 0.25


def test_publish_refuses_thresholds_that_do_not_fit(tmp_path):
    proc = run_tool([PUBLISH, CKPT, str(tmp_path / 'x.pth'), '--score-thr', 'crazing:0.2'])
    assert proc.returncode == 2 and "'crazing:0.2' is not 'class=number'" in proc.stderr
    proc = run_tool([PUBLISH, CKPT, str(tmp_path / 'x.pth'), '--score-thr', 'rust=0.2'])
    assert proc.returncode == 1
    assert f'--score-thr for the classes of {CKPT}' in proc.stderr
    assert "unknown ['rust']" in proc.stderr and "missing ['crazing'" in proc.stderr
    proc = run_tool([PUBLISH, CKPT, str(tmp_path / 'x.pth'), '--score-thr', '1.5'])
    assert proc.returncode == 1 and 'must be in [0, 1], got [1.5' in proc.stderr
    assert not list(tmp_path.iterdir())  # nothing written


def _inspect(config, ckpt, src, out, *extra):
    proc = run_tool(['tools/inspect_defects.py', config, ckpt, str(src), '--out-dir', str(out),
                     '--no-images'] + list(extra))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, json.loads((out / 'summary.json').read_text())['score_thr']


def _without_thresholds(path, out):
    """A copy of the checkpoint at ``path`` that carries no alarm thresholds."""
    import torch

    from mmdet_shuffledefect.compat import load_checkpoint_file
    ckpt = load_checkpoint_file(path, map_location='cpu')
    ckpt['meta'].pop(META_KEY, None)
    torch.save(ckpt, out)
    return str(out)


def test_the_checkpoints_own_are_the_default_and_a_config_or_flag_overrides(published,
                                                                            tmp_path):
    path, src = published
    stdout, used = _inspect(CONFIG, path, src, tmp_path / 'own')
    assert f"score threshold: {TEXT} (the checkpoint's own ({path}))" in stdout
    assert used == LINE
    config = tmp_path / 'cfg.py'
    config.write_text(f"_base_ = {osp.join(REPO, CONFIG)!r}\ninspection_score_thr = 0.6\n")
    stdout, used = _inspect(str(config), path, src, tmp_path / 'both')
    assert used == 0.6 and "(the config's inspection_score_thr" in stdout
    assert f"over the checkpoint's own ({path})" in stdout  # said once
    stdout, used = _inspect(str(config), path, src, tmp_path / 'flag', '--score-thr', '0.4')
    assert used == 0.4 and 'score threshold: 0.4 (--score-thr; over' in stdout
    bare = _without_thresholds(path, tmp_path / 'bare.pth')
    stdout, used = _inspect(CONFIG, bare, src, tmp_path / 'none')
    assert used == 0.3 and 'neither checkpoint nor config gives one' in stdout
    assert 'choose_score_thr.py ... --write-checkpoint' in stdout


def test_the_onnx_export_and_its_int8_file_keep_them(published, synth_det, tmp_path):
    from mmdet_shuffledefect.deployment import OnnxDetector, load_exported
    path, src = published
    onnx_file = str(tmp_path / 'line.onnx')
    proc = run_tool(['tools/deployment/export_onnx.py', CONFIG, path, onnx_file,
                     '--verify-batch', '0'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert OnnxDetector(onnx_file).inspection_score_thr == LINE
    stdout, used = _inspect(CONFIG, onnx_file, src, tmp_path / 'ort', '--backend',
                            'onnxruntime')
    assert used == LINE and f"(the checkpoint's own ({onnx_file}))" in stdout
    int8_file = str(tmp_path / 'line_int8.onnx')
    proc = run_tool(['tools/deployment/quantize.py', CONFIG, onnx_file, int8_file, '--no-eval',
                     '--calib-images', '4', '--data-root', synth_det])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert load_exported(int8_file, 'openvino', precision='int8').inspection_score_thr == LINE
