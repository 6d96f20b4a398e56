"""The model zoo: metafiles, the README table generated from them, and their checks."""
import os.path as osp
import re
import shutil

import pytest
import yaml

from conftest import CONFIG, REPO, run_tool, small_run_options

TOOL = 'tools/misc/model_zoo.py'


def test_repository_zoo_is_consistent():
    proc = run_tool([TOOL, 'check'])
    assert proc.returncode == 0, proc.stderr
    assert 'model zoo OK' in proc.stdout


def _zoo(tmp_path, weights_src, name='model-abcdef12.pth', metric=0.5, sha=None, model='tiny'):
    """A small zoo in tmp_path: index, one metafile, weights, README with markers."""
    from mmdet_shuffledefect.reporting.model_zoo import TABLE_END, TABLE_START, sha256_of
    (tmp_path / 'configs').mkdir(exist_ok=True)
    shutil.copy(osp.join(REPO, CONFIG), tmp_path / 'configs' / 'sdn_ssd_neu.py')
    shutil.copytree(osp.join(REPO, 'configs', '_base_'), tmp_path / 'configs' / '_base_',
                    dirs_exist_ok=True)
    (tmp_path / 'ckpt').mkdir(exist_ok=True)
    weights = tmp_path / 'ckpt' / name
    shutil.copy(weights_src, weights)
    (tmp_path / 'model-index.yml').write_text('Import:\n  - configs/metafile.yml\n')
    entry = {'Name': model, 'Config': 'configs/sdn_ssd_neu.py',
             'Metadata': {'Training Data': 'synthetic', 'Training Resources': 'CPU'},
             'Results': [{'Task': 'Object Detection', 'Dataset': 'synthetic test',
                          'Metrics': {'mAP@0.5': metric}}],
             'Weights': f'ckpt/{name}', 'SHA256': sha or sha256_of(str(weights))}
    (tmp_path / 'configs' / 'metafile.yml').write_text(yaml.safe_dump({'Models': [entry]}))
    (tmp_path / 'README.md').write_text(f'# zoo\n{TABLE_START}\n{TABLE_END}\n')
    return ['--index', str(tmp_path / 'model-index.yml'), '--readme', str(tmp_path / 'README.md')]


def test_check_names_every_problem(tmp_path, trained_ssd):
    _, ckpt = trained_ssd
    args = _zoo(tmp_path, ckpt)
    proc = run_tool([TOOL, 'check'] + args)
    assert proc.returncode == 1
    assert 'the model-zoo table differs from the metafiles' in proc.stderr  # README not made
    assert "sha256 of ckpt/model-abcdef12.pth is" in proc.stderr  # not the name's suffix
    # the mmdet rule: named after the config, and a detector carries classes and thresholds
    assert ('tiny: weights ckpt/model-abcdef12.pth are not named after the config (expected '
            'sdn_ssd_neu_<YYYYMMDD_HHMMSS>-<sha256[:8]>.pth)') in proc.stderr
    assert "tiny: the model name is not the config's stem 'sdn_ssd_neu'" in proc.stderr
    assert ("tiny: ckpt/model-abcdef12.pth carries no alarm thresholds "
            "(meta['inspection_score_thr'])") in proc.stderr
    assert run_tool([TOOL, 'update-readme'] + args).returncode == 0
    assert '| tiny | `configs/sdn_ssd_neu.py` |' in (tmp_path / 'README.md').read_text()
    (tmp_path / 'ckpt' / 'model-abcdef12.pth').unlink()
    proc = run_tool([TOOL, 'check'] + args)
    assert proc.returncode == 1
    assert 'tiny: weights ckpt/model-abcdef12.pth do not exist' in proc.stderr


def test_published_synthetic_checkpoint_verifies_against_its_metafile(tmp_path, trained_ssd,
                                                                       synth_det):
    from mmdet_shuffledefect.reporting.model_zoo import sha256_of
    _, ckpt = trained_ssd
    proc = run_tool(['tools/model_converters/publish_model.py', ckpt,
                     str(tmp_path / 'pub' / 'sdn_ssd_neu_20260101_120000.pth'),
                     '--score-thr', '0.3'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    published = next((tmp_path / 'pub').glob('sdn_ssd_neu_20260101_120000-*.pth'))
    opts = small_run_options(synth_det, 1)
    proc = run_tool(['tools/test.py', CONFIG, str(published), '--work-dir', str(tmp_path / 'w')]
                    + opts)
    measured = float(re.findall(r'pascal_voc/mAP: ([\d.]+)', proc.stdout + proc.stderr)[-1])
    (tmp_path / 'zoo').mkdir()
    args = _zoo(tmp_path / 'zoo', published, name=published.name, metric=measured,
                model='sdn_ssd_neu')
    assert run_tool([TOOL, 'update-readme'] + args).returncode == 0
    assert run_tool([TOOL, 'check'] + args).returncode == 0
    verify = [TOOL, 'verify', 'sdn_ssd_neu', '--data-root', synth_det, '--work-dir',
              str(tmp_path / 'v')] + args
    proc = run_tool(verify)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert 'OK' in proc.stdout
    _zoo(tmp_path / 'zoo', published, name=published.name, metric=measured + 0.1,
         sha=sha256_of(str(published)), model='sdn_ssd_neu')
    proc = run_tool(verify)
    assert proc.returncode == 1 and 'MISMATCH' in proc.stdout
    proc = run_tool([TOOL, 'verify', 'nope'] + args)
    assert proc.returncode != 0 and "no model 'nope'" in proc.stderr


def _role_entry(name, role, mAP):
    return {'Name': name, 'Config': f'configs/{name}.py', 'Weights': f'checkpoints/{name}.pth',
            'Metadata': {'Role': role, 'Use': f'when {role}', 'Parameters (M)': 0.5,
                         'Test Interval': '0.1-0.9'},
            'Results': [{'Task': 'Object Detection', 'Dataset': 'NEU-DET',
                         'Metrics': {'mAP@0.5': mAP, 'AP crazing': 0.3,
                                     'AP rolled-in_scale': 0.5}}]}


def test_the_role_table_comes_from_the_metafiles_and_one_benchmark_run():
    from mmdet_shuffledefect.reporting.model_zoo import render_role_table, role_entries
    models = [_role_entry('a', 'paper', 0.6), _role_entry('b', 'line', 0.7),
              _role_entry('c', 'accurate', 0.71)]
    rows = [dict(config=f'configs/{n}.py', batch=32, row=row, img_s=rate)
            for n, ort in (('a', 200.0), ('b', 500.0), ('c', 100.0))
            for row, rate in (('whole detector, fast (batched)', ort / 2),
                              ('onnxruntime (whole detector)', ort),
                              ('openvino 2026.4.1, precision f32 (whole detector)', ort + 1))]
    record = dict(threads=2, environment=dict(cpu='AMD EPYC', git_commit='abc1234'), rows=rows)
    table = render_role_table(models, record, 'speed.json')
    lines = table.splitlines()
    assert 'AMD EPYC' in lines[0] and 'abc1234' in lines[0] and '`speed.json`' in lines[0]
    body = [line for line in lines if line.startswith('| **')]
    assert [line.split(' | ')[0] for line in body] == ['| **line**', '| **accurate**',
                                                       '| **paper**']
    assert '| 500 (2.50x) | 501 |' in body[0] and '| 200 (1.00x) |' in body[2]  # within the run
    assert '0.7000 [0.1-0.9] | 0.30 | 0.50 | 0.5 M | 250 |' in body[0]
    assert '- **line**: when line' in lines
    with pytest.raises(ValueError, match=r"missing \['accurate'\]"):
        role_entries(models[:2])
    with pytest.raises(ValueError, match=r"given twice \{'line': \['b', 'd'\]\}"):
        role_entries(models + [_role_entry('d', 'line', 0.5)])


def test_one_detector_may_hold_two_roles_and_is_listed_once():
    from mmdet_shuffledefect.reporting.model_zoo import (render_role_table, role_entries,
                                                         role_holder)
    models = [_role_entry('a', 'paper', 0.6), _role_entry('b', 'line, accurate', 0.73),
              _role_entry('c', None, 0.71)]
    del models[2]['Metadata']['Role']
    assert [m['Name'] for m in role_entries(models)] == ['b', 'a']
    assert role_holder(models, 'accurate')['Name'] == 'b'
    rows = [dict(config=f'configs/{n}.py', batch=32, row='onnxruntime (whole detector)',
                 img_s=rate) for n, rate in (('a', 200.0), ('b', 400.0))]
    table = render_role_table(models, dict(threads=2, environment={}, rows=rows))
    body = [line for line in table.splitlines() if line.startswith('| **')]
    assert [line.split(' | ')[0] for line in body] == ['| **line, accurate**', '| **paper**']
    assert '400 (2.00x)' in body[0]
    assert '- **line, accurate**: when line, accurate' in table.splitlines()
    with pytest.raises(ValueError, match=r"given twice \{'accurate': \['b', 'd'\]\}"):
        role_entries(models + [_role_entry('d', 'accurate', 0.5)])
    with pytest.raises(ValueError, match=r"role 'fast' is not one of"):
        role_holder(models, 'fast')
