"""A checkpoint that does not fit its config is refused by every predicting tool (#26 item 1)."""
import json
import os.path as osp

import pytest
import torch
import torch.nn as nn
from conftest import CONFIG, REPO, run_tool

from mmdet_shuffledefect.utils.checkpoint_fit import (CheckpointMismatchError, check_fits,
                                                      first_mismatch, fit_state_dict,
                                                      strict_loading, whole_modules)

NEU = ('crazing', 'inclusion', 'patches', 'pitted_surface', 'rolled-in_scale', 'scratches')
SEVEN = NEU + ('oil_spot',)


def test_first_mismatch_names_shape_missing_and_unexpected():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Linear(8, 7))
    state = model.state_dict()
    assert first_mismatch(model, state) is None
    other = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Linear(8, 6)).state_dict()
    assert first_mismatch(model, other) == ('2.weight', (6, 8), (7, 8))
    with pytest.raises(CheckpointMismatchError, match=r'tensor 2.weight has shape \[6, 8\] in '
                       r'the checkpoint but \[7, 8\] in the model'):
        check_fits(model, other, 'x.pth')
    missing = {k: v for k, v in state.items() if not k.startswith('1.')}
    assert first_mismatch(model, missing)[0] == '1.weight'
    # num_batches_tracked is not a weight: its absence (old checkpoints) is fine
    assert first_mismatch(model, {k: v for k, v in state.items()
                                  if 'num_batches_tracked' not in k}) is None
    extra = dict(state, **{'3.weight': torch.zeros(2)})
    with pytest.raises(CheckpointMismatchError, match=r'tensor 3.weight \[2\] of the checkpoint '
                       'is not in the model; likely cause: the checkpoint was trained with '
                       'another architecture'):
        check_fits(model, extra, 'x.pth')


def build_ssd(classes, widen_factor=1.0):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS
    from mmdet_shuffledefect.utils.config_data import set_classes
    init_default_scope('mmdet')
    cfg = Config.fromfile(osp.join(REPO, CONFIG))
    set_classes(cfg, classes)
    cfg.model.backbone.widen_factor = widen_factor
    if widen_factor != 1.0:
        from mmdet_shuffledefect.models.backbones import ShuffleDefectNet
        cfg.model.neck.in_channels = list(ShuffleDefectNet(widen_factor=widen_factor,
                                                           out_indices=(0, 1, 2)).out_channels)
    return MODELS.build(cfg.model)


def save(model, path, classes):
    torch.save({'meta': {'dataset_meta': {'classes': tuple(classes)}},
                'state_dict': model.state_dict()}, path)
    return str(path)


@pytest.fixture(scope='module')
def ckpts(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('ckpts')
    seven = build_ssd(SEVEN)
    return {'seven': save(seven, tmp / 'seven.pth', SEVEN),
            # tensors of 7 classes recorded with the config's 6 names (a relabelled file)
            'seven_as_six': save(seven, tmp / 'seven_as_six.pth', NEU),
            'half_width': save(build_ssd(NEU, 0.5), tmp / 'half.pth', NEU)}


def test_test_tool_refuses_other_classes_and_other_tensors(ckpts, synth_det, tmp_path):
    data = ['--data-root', synth_det, '--work-dir', str(tmp_path)]
    proc = run_tool(['tools/test.py', CONFIG, ckpts['seven']] + data)
    assert proc.returncode == 1
    assert (f"error: checkpoint {ckpts['seven']} was trained on the classes {list(SEVEN)}, "
            f'but the config has {list(NEU)}') in proc.stderr
    proc = run_tool(['tools/test.py', CONFIG, ckpts['seven_as_six']] + data)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert 'does not fit this config: tensor bbox_head.cls_convs.0' in proc.stderr
    assert 'likely cause: another num_classes' in proc.stderr
    proc = run_tool(['tools/test.py', CONFIG, ckpts['half_width']] + data)
    assert proc.returncode == 1
    assert 'likely cause: another width or variant of the network' in proc.stderr
    assert 'size mismatch' not in proc.stdout + proc.stderr  # refused before any load


def test_partial_load_is_asked_for_by_name(ckpts, synth_det, tmp_path):
    proc = run_tool(['tools/test.py', CONFIG, ckpts['seven_as_six'], '--partial-load',
                     '--data-root', synth_det, '--work-dir', str(tmp_path),
                     '--cfg-options', 'test_dataloader.num_workers=0',
                     'test_dataloader.persistent_workers=False'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout + proc.stderr
    assert 'pascal_voc/mAP' in out
    # what did not load, by module, instead of mmengine's list of every tensor
    assert (f"partial load of {ckpts['seven_as_six']}: 12 tensors of another shape, left "
            'out: bbox_head.cls_convs.0.1, bbox_head.cls_convs.1.1, ') in out
    assert 'size mismatch for' not in out


def test_partial_fit_loads_what_fits_and_names_whole_modules():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Linear(8, 7))
    ckpt = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Linear(8, 6),
                         nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)))
    state = {k: v for k, v in ckpt.state_dict().items() if not k.startswith('1.')}
    fitted, lines = fit_state_dict(model, state, 'c.pth')
    assert set(fitted) == set(model.state_dict())  # an exact load: mmengine warns of nothing
    assert torch.equal(fitted['0.weight'], ckpt[0].weight)  # what fits is the checkpoint's
    assert torch.equal(fitted['2.weight'], model[2].weight)  # the rest stays the model's
    assert torch.equal(fitted['1.running_var'], model[1].running_var)
    assert lines == [
        'partial load of c.pth: 4 checkpoint tensors have no place in the model, left out: 3',
        'partial load of c.pth: 2 tensors of another shape, left out: 2 (2.weight: [6, 8] in '
        'the checkpoint, [7, 8] in the model)',
        'partial load of c.pth: 4 model tensors are not in the checkpoint and keep their '
        'initialisation: 1']  # num_batches_tracked is not counted
    assert fit_state_dict(model, model.state_dict())[1] == []
    units = [f'layers.{s}.{u}.{t}' for s in range(2) for u in range(4) for t in ('w', 'b')]
    dropped = [k for k in units if k.split('.')[2] in ('2', '3')]
    assert whole_modules(dropped, units) == ['layers.0.2', 'layers.0.3', 'layers.1.2',
                                             'layers.1.3']
    assert whole_modules(units, units) == ['layers']


def test_api_refuses_a_checkpoint_of_another_width(ckpts):
    from mmdet_shuffledefect.apis import init_inspection_model
    with pytest.raises(CheckpointMismatchError, match='another width'):
        init_inspection_model(osp.join(REPO, CONFIG), ckpts['half_width'])
    # the classes recorded in the checkpoint win in the API
    model = init_inspection_model(osp.join(REPO, CONFIG), ckpts['seven'])
    assert tuple(model.dataset_meta['classes']) == SEVEN
    assert model.bbox_head.num_classes == 7
    # the check is scoped: outside the API mmengine loads as it always does
    with strict_loading(enabled=False):
        init_inspection_model(osp.join(REPO, CONFIG), ckpts['half_width'], partial_load=True)


def test_export_takes_the_checkpoint_classes_and_onnx_test_refuses_the_config(
        ckpts, synth_det, tmp_path):
    onnx_file = str(tmp_path / 'seven.onnx')
    proc = run_tool(['tools/deployment/export_onnx.py', CONFIG, ckpts['seven'], onnx_file,
                     '--verify-batch', '0'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    from mmdet_shuffledefect.deployment import OnnxDetector
    assert OnnxDetector(onnx_file).classes == SEVEN
    proc = run_tool(['tools/test.py', CONFIG, onnx_file, '--backend', 'onnxruntime',
                     '--data-root', synth_det])
    assert proc.returncode == 1 and 'does not match the config: classes' in proc.stderr
    proc = run_tool(['tools/deployment/export_onnx.py', CONFIG, ckpts['half_width'],
                     str(tmp_path / 'half.onnx'), '--verify-batch', '0'])
    assert proc.returncode == 1 and 'another width' in proc.stderr
    assert not osp.exists(tmp_path / 'half.onnx')
    # --classes that contradict the checkpoint are refused by name
    proc = run_tool(['tools/deployment/export_onnx.py', CONFIG, ckpts['seven'],
                     str(tmp_path / 'x.onnx'), '--classes', 'a', 'b'])
    assert proc.returncode == 1 and "but --classes gives ['a', 'b']" in proc.stderr


def test_publish_and_benchmark_refuse_what_does_not_fit(ckpts, tmp_path):
    out = tmp_path / 'pub' / 'half.pth'
    proc = run_tool(['tools/model_converters/publish_model.py', ckpts['half_width'], str(out),
                     '--config', CONFIG])
    assert proc.returncode == 1 and 'another width' in proc.stderr
    assert 'was removed' in proc.stderr and not list((tmp_path / 'pub').glob('*.pth'))
    proc = run_tool(['tools/analysis_tools/benchmark.py', f"{CONFIG}:{ckpts['half_width']}",
                     '--batch-size', '1', '--repeats', '1', '--warmup', '0', '--no-onnx',
                     '--no-pipeline'])
    assert proc.returncode == 1 and 'another width' in proc.stderr
    report = tmp_path / 'b.json'
    proc = run_tool(['tools/analysis_tools/benchmark.py', f"{CONFIG}:{ckpts['seven']}",
                     '--batch-size', '1', '--repeats', '1', '--warmup', '0', '--no-onnx',
                     '--no-pipeline', '--json', str(report)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(report.read_text())['rows']
