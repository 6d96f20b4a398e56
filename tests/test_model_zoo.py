"""The model zoo: metafiles, the README table generated from them, and their checks."""
import os.path as osp
import re
import shutil

import yaml

from conftest import CONFIG, REPO, run_tool, small_run_options

TOOL = 'tools/misc/model_zoo.py'


def test_repository_zoo_is_consistent():
    proc = run_tool([TOOL, 'check'])
    assert proc.returncode == 0, proc.stderr
    assert 'model zoo OK' in proc.stdout


def _zoo(tmp_path, weights_src, name='model-abcdef12.pth', metric=0.5, sha=None):
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
    entry = {'Name': 'tiny', 'Config': 'configs/sdn_ssd_neu.py',
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
                     str(tmp_path / 'pub' / 'tiny.pth')])
    assert proc.returncode == 0, proc.stderr[-2000:]
    published = next((tmp_path / 'pub').glob('tiny-*.pth'))
    opts = small_run_options(synth_det, 1)
    proc = run_tool(['tools/test.py', CONFIG, str(published), '--work-dir', str(tmp_path / 'w')]
                    + opts)
    measured = float(re.findall(r'pascal_voc/mAP: ([\d.]+)', proc.stdout + proc.stderr)[-1])
    (tmp_path / 'zoo').mkdir()
    args = _zoo(tmp_path / 'zoo', published, name=published.name, metric=measured)
    assert run_tool([TOOL, 'update-readme'] + args).returncode == 0
    assert run_tool([TOOL, 'check'] + args).returncode == 0
    verify = [TOOL, 'verify', 'tiny', '--data-root', synth_det, '--work-dir',
              str(tmp_path / 'v')] + args
    proc = run_tool(verify)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert 'OK' in proc.stdout
    _zoo(tmp_path / 'zoo', published, name=published.name, metric=measured + 0.1,
         sha=sha256_of(str(published)))
    proc = run_tool(verify)
    assert proc.returncode == 1 and 'MISMATCH' in proc.stdout
    proc = run_tool([TOOL, 'verify', 'nope'] + args)
    assert proc.returncode != 0 and "no model 'nope'" in proc.stderr
