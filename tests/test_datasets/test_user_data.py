"""A user's own data and environment: label-stratified splits, checkpoints mmengine
writes, transformers 5 beside mmpretrain, one-line data errors, filter_cfg, slurm."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import CONFIG, REPO, run_tool, small_run_options


def _write_image(path, seed):
    import cv2
    img = np.random.default_rng(seed).integers(0, 256, (32, 32, 3), np.uint8)
    cv2.imwrite(str(path), img)


def _own_dataset(root):
    """A NEU-layout folder of a user's naming: classes not in the file names."""
    from mmdet_shuffledefect.data_prep.voc_xml import write_voc_xml
    (root / 'IMAGES').mkdir(parents=True)
    (root / 'ANNOTATIONS').mkdir()
    items = []
    items += [(f'dents{i}', ['dent']) for i in range(1, 11)]                 # no underscore
    items += [(f'oil spots{i}', ['oil_spot']) for i in range(1, 11)]         # a space
    items += [(f'img_{i:04d}', ['scratch', 'scratch', 'dent']) for i in range(1, 11)]
    items += [(f'img_{i:04d}', ['hole', 'scratch', 'hole']) for i in range(11, 21)]
    items += [(f'clean{i}', []) for i in range(1, 11)]                       # no boxes
    items += [('rare1', ['crack']), ('rare2', ['crack'])]                    # a tiny class
    for seed, (stem, names) in enumerate(items):
        _write_image(root / 'IMAGES' / f'{stem}.jpg', seed)
        write_voc_xml(str(root / 'ANNOTATIONS' / f'{stem}.xml'), f'{stem}.jpg', 32, 32,
                      [(n, (2 + k, 2, 20 + k, 20), 0) for k, n in enumerate(names)])
    shutil.copy(root / 'IMAGES' / 'dents3.jpg', root / 'IMAGES' / 'img_0005.jpg')  # identical
    return [stem for stem, _ in items]


def test_own_data_splits_are_stratified_by_labels(tmp_path):
    from mmdet_shuffledefect.data_prep.splits import NO_BOXES, dataset_strata
    from mmdet_shuffledefect.datasets import read_split_file
    root = tmp_path / 'own'
    stems = _own_dataset(root)
    proc = run_tool(['tools/dataset_converters/make_splits.py', str(root), '--seed', '1'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    parts = {s: read_split_file(str(root / 'splits' / f'{s}.txt')) for s in
             ('train', 'val', 'test')}
    assert sorted(sum(parts.values(), [])) == sorted(stems)
    strata = dataset_strata(str(root), stems)
    assert strata['dents4'] == 'dent' and strata['oil spots2'] == 'oil_spot'
    assert strata['img_0003'] == 'scratch' and strata['img_0013'] == 'hole'
    assert strata['clean1'] == NO_BOXES
    for cls in ('dent', 'oil_spot', 'scratch', 'hole', NO_BOXES):
        for split in ('val', 'test'):
            assert any(strata[n] == cls for n in parts[split]), (cls, split)
    where = {n: s for s, names in parts.items() for n in names}
    assert where['dents3'] == where['img_0005']  # byte-identical images stay together
    assert 'stratified by majority class' in proc.stdout
    assert 'oil_spot' in proc.stdout and 'total' in proc.stdout  # per-split class table
    assert "warning: class 'crack' has no val image" in proc.stderr
    assert "class 'crack' has no test image" in proc.stderr


def test_committed_neu_splits_regenerate_byte_for_byte(tmp_path, monkeypatch):
    """NEU's own naming keeps the file-name strata: make_splits.py writes the committed
    split again. The images' md5 (the grouping key of identical pictures, which also
    orders the shuffle) come from the committed ``image_md5.txt``, so no data is needed."""
    import runpy

    from mmdet_shuffledefect.data_prep import DEFAULT_SPLIT_LISTS
    from mmdet_shuffledefect.data_prep import splits as splits_module
    from mmdet_shuffledefect.data_prep.voc_xml import write_voc_xml
    from mmdet_shuffledefect.datasets import read_split_file
    names = sum((read_split_file(osp.join(DEFAULT_SPLIT_LISTS, 'neu-det', f'{s}.txt'))
                 for s in ('train', 'val', 'test')), [])
    assert len(names) == 1800
    md5 = dict(line.split() for line in read_split_file(
        osp.join(DEFAULT_SPLIT_LISTS, 'neu-det', 'image_md5.txt')))
    assert sorted(md5) == sorted(names)
    assert md5['patches_101'] == md5['patches_105']  # NEU-DET's identical pair
    root = tmp_path / 'NEU-DET'
    (root / 'IMAGES').mkdir(parents=True)
    (root / 'ANNOTATIONS').mkdir()
    for stem in names:
        (root / 'IMAGES' / f'{stem}.jpg').write_bytes(b'')
        write_voc_xml(str(root / 'ANNOTATIONS' / f'{stem}.xml'), f'{stem}.jpg', 200, 200,
                      [(stem.rpartition('_')[0], (1, 1, 50, 50), 0)])
    monkeypatch.setattr(splits_module, 'image_groups', lambda img_dir, stems: {
        s: md5[s] for s in stems})
    tool = runpy.run_path(osp.join(REPO, 'tools', 'dataset_converters', 'make_splits.py'),
                          run_name='make_splits')
    assert tool['main']([str(root), '--cls-out', str(tmp_path / 'cls')]) == 0
    for kind, out in (('neu-det', root / 'splits'), ('neu-cls', tmp_path / 'cls')):
        for split in ('train', 'val', 'test'):
            committed = open(osp.join(DEFAULT_SPLIT_LISTS, kind, f'{split}.txt'), 'rb').read()
            assert (out / f'{split}.txt').read_bytes() == committed, (kind, split)


def test_safe_loader_takes_what_mmengine_writes(tmp_path):
    """Empty HistoryBuffers and arrays pickle an empty ``bytes`` (protocol 2)."""
    import mmdet_shuffledefect  # noqa: F401
    from mmengine.logging import HistoryBuffer
    from mmengine.runner import CheckpointLoader
    path = tmp_path / 'runner.pth'
    torch.save({'state_dict': {'w': torch.ones(1)},
                'meta': {'empty': np.zeros(0), 'seed': np.int64(3), 'lr': np.float32(0.1)},
                'message_hub': {'log_scalars': {'empty': HistoryBuffer()}}}, str(path))
    loaded = CheckpointLoader.load_checkpoint(str(path))
    assert loaded['meta']['empty'].shape == (0, ) and loaded['meta']['seed'] == 3
    assert len(loaded['message_hub']['log_scalars']['empty']._log_history) == 0


def test_real_runner_checkpoint_with_empty_buffers_loads(trained_ssd):
    from mmdet_shuffledefect.compat import load_checkpoint_file
    _, ckpt = trained_ssd
    assert 'message_hub' in load_checkpoint_file(ckpt)


TRANSFORMERS_STANDIN = '''"""Stand-in for transformers 5.x: what mmpretrain imports, but (as in 5.x)
no ``apply_chunking_to_forward`` in ``transformers.modeling_utils``."""
__version__ = '5.24.0'


class PreTrainedModel:
    pass


class _Stub:
    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        return cls()


def __getattr__(name):
    if name.startswith('__'):
        raise AttributeError(name)
    if name.startswith('AutoModel'):
        from .models.auto.auto_factory import _BaseAutoModelClass
        return type(name, (_BaseAutoModelClass, ), {})
    return type(name, (_Stub, ), {})
'''

AUTO_FACTORY = '''class _BaseAutoModelClass:
    @classmethod
    def from_config(cls, *args, **kwargs):
        return cls()

    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        return cls()
'''


def _fake_transformers(root):
    pkg = root / 'transformers'
    (pkg / 'models' / 'auto').mkdir(parents=True)
    (pkg / '__init__.py').write_text(TRANSFORMERS_STANDIN)
    (pkg / 'modeling_utils.py').write_text('class PreTrainedModel:\n    pass\n')
    (pkg / 'activations.py').write_text('ACT2FN = {}\n')
    (pkg / 'models' / '__init__.py').write_text('')
    (pkg / 'models' / 'auto' / '__init__.py').write_text('')
    (pkg / 'models' / 'auto' / 'auto_factory.py').write_text(AUTO_FACTORY)
    info = root / 'transformers-5.24.0.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: transformers\n'
                                   'Version: 5.24.0\n')
    (info / 'RECORD').write_text('')


def test_import_survives_transformers_5(tmp_path):
    _fake_transformers(tmp_path)
    env = dict(os.environ, PYTHONPATH=f'{tmp_path}{os.pathsep}{REPO}')
    plain = subprocess.run([sys.executable, '-c', 'import mmpretrain.models'], env=env,
                           capture_output=True, text=True, timeout=600)
    assert plain.returncode != 0  # the stand-in breaks mmpretrain as transformers 5 does
    assert 'NoneType takes no arguments' in plain.stderr
    code = ('import mmdet_shuffledefect, torch\n'
            'from mmengine.config import Config\n'
            'from mmengine.registry import DefaultScope\n'
            'from mmpretrain.registry import MODELS\n'
            "cfg = Config.fromfile('configs/classification/sdn-1.0x_linear_30e_neu-cls.py')\n"
            "with DefaultScope.overwrite_default_scope('mmpretrain'):\n"
            '    model = MODELS.build(cfg.model)\n'
            "print('logits', tuple(model(torch.rand(1, 3, 64, 64), mode='tensor').shape))\n")
    ours = subprocess.run([sys.executable, '-c', code], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    assert ours.returncode == 0, ours.stderr[-3000:]
    assert 'logits (1, 6)' in ours.stdout
    assert 'transformers 5.24.0 is incompatible' in ours.stdout + ours.stderr


@pytest.fixture()
def broken_annotation(synth_det, tmp_path):
    from mmdet_shuffledefect.datasets import read_split_file
    root = tmp_path / 'data'
    shutil.copytree(synth_det, root)
    stem = read_split_file(str(root / 'splits' / 'train.txt'))[3]
    (root / 'ANNOTATIONS' / f'{stem}.xml').write_text('<annotation><object><name>crazing')
    return root, stem


def test_malformed_annotation_is_one_error_line(broken_annotation, tmp_path):
    root, stem = broken_annotation
    proc = run_tool(['tools/train.py', CONFIG, '--work-dir', str(tmp_path / 'w')]
                    + small_run_options(root, 1))
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith('error:')]
    assert len(errors) == 1 and f'{stem}.xml' in errors[0], proc.stderr[-2000:]
    assert 'not well-formed XML' in errors[0]
    assert 'Traceback' not in proc.stderr


def test_filter_cfg_is_honoured(synth_det):
    import mmdet_shuffledefect  # noqa: F401
    from mmdet_shuffledefect.datasets import DataError, NEUDETDataset
    kw = dict(data_root=synth_det, ann_file='splits/train.txt', pipeline=[])
    every = NEUDETDataset(**kw)
    empty = sum(1 for i in range(len(every)) if not every.get_data_info(i)['instances'])
    assert empty > 0  # the synthetic sample has clean images
    kept = NEUDETDataset(filter_cfg=dict(filter_empty_gt=True), **kw)
    assert len(kept) == len(every) - empty
    assert len(NEUDETDataset(filter_cfg=dict(min_size=200), **kw)) == len(every)
    assert len(NEUDETDataset(filter_cfg=dict(min_size=201), serialize_data=False, **kw)) == 0
    assert len(NEUDETDataset(filter_cfg=dict(filter_empty_gt=True), test_mode=True, **kw)) \
        == len(every)  # as mmdet: no filtering in test mode
    with pytest.raises(DataError, match=r"filter_cfg takes filter_empty_gt and min_size, got "
                       r"\['bbox_min_size'\]"):
        NEUDETDataset(filter_cfg=dict(bbox_min_size=4), **kw)


@pytest.fixture()
def fake_srun(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    log = tmp_path / 'srun_args'
    srun = bin_dir / 'srun'
    srun.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > {log}\n')
    srun.chmod(0o755)
    env = dict(os.environ, PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')
    return env, log


@pytest.mark.parametrize('script,fourth,tool', [('slurm_train.sh', 'work_dirs/x', 'train.py'),
                                               ('slurm_test.sh', 'best.pth', 'test.py')])
def test_slurm_scripts_call_srun_as_mmdet_users_expect(fake_srun, script, fourth, tool):
    env, log = fake_srun
    env.update(GPUS='16', GPUS_PER_NODE='8', CPUS_PER_TASK='4', SRUN_ARGS='--qos=low --time=1:00:00')
    proc = subprocess.run(['bash', f'tools/{script}', 'gpu', 'sdn', CONFIG, fourth, '--amp'],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    args = log.read_text().splitlines()
    assert args[:8] == ['-p', 'gpu', '--job-name=sdn', '--gres=gpu:8', '--ntasks=16',
                        '--ntasks-per-node=8', '--cpus-per-task=4', '--kill-on-bad-exit=1']
    assert args[8:10] == ['--qos=low', '--time=1:00:00']
    assert args[11:13] == ['-u', osp.join(REPO, 'tools', tool)]
    assert CONFIG in args and '--launcher' in args and 'slurm' in args and args[-1] == '--amp'
    assert fourth in args


def test_slurm_script_without_arguments_says_usage():
    proc = subprocess.run(['bash', 'tools/slurm_train.sh', 'gpu'], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and 'usage:' in proc.stderr
