"""One exit-code convention for every tool (#30 item 5): 0 success, 2 a usage error (a
flag, a path that does not exist, the wrong kind of file), 1 a data or runtime error (the
input exists but cannot serve); always one `error:` line naming the value, no traceback."""
import pytest

from conftest import CKPT_40E, STUDY_TOOLS, run_tool

CONFIG = 'configs/sdn_ssd_neu.py'


@pytest.fixture(scope='module')
def empty_folder(tmp_path_factory):
    return str(tmp_path_factory.mktemp('empty'))


@pytest.fixture(scope='module')
def bad_images(tmp_path_factory):
    """A folder that exists and holds only unreadable pictures."""
    root = tmp_path_factory.mktemp('bad')
    (root / 'broken.jpg').write_bytes(b'not a picture')
    return str(root)


USAGE = [
    (['tools/train.py', 'configs/nope.py'], 'config file configs/nope.py does not exist'),
    (['tools/test.py', CONFIG, 'nope.pth'], 'checkpoint nope.pth does not exist'),
    (['tools/inspect_defects.py', CONFIG, CKPT_40E, '.', '--score-thr', '2'],
     '--score-thr must be in [0, 1], got 2.0'),
    (['tools/analysis_tools/benchmark.py', CONFIG, '--batch-size', '0'],
     '--batch-size must be >= 1, got [0]'),
    (['tools/deployment/export_onnx.py', CONFIG, 'x.pth', 'y.onnx'],
     'checkpoint x.pth does not exist'),
    (['tools/dataset_converters/make_splits.py', 'no/such/folder'],
     'no/such/folder/ANNOTATIONS does not exist'),
    ([f'{STUDY_TOOLS}/cross_validate.py', CONFIG], 'is not a classifier config'),
    ([f'{STUDY_TOOLS}/cross_validate.py', CONFIG, '--epochs', '0'], '--epochs must be >= 1, got 0'),
    (['tools/demo.py', '--epochs', '0'], '--epochs'),
    (['tools/inspection_station.py', CONFIG, CKPT_40E, '--watch', 'no/such', '--db', 'x.sqlite'],
     '--watch no/such does not exist or is not a folder'),
    (['tools/inspection_station.py', CONFIG, CKPT_40E, '--watch', '.', '--db',
      'mysql://line@plant/qa'], 'expected an SQLite file path or a postgresql:// URL'),
    (['tools/inspection_report.py', 'x.sqlite', '--latest', '-1'],
     '--latest must be >= 0, got -1'),
]


@pytest.mark.parametrize('args, message', USAGE, ids=[a[0][0].split('/')[-1] for a in USAGE])
def test_usage_errors_exit_2(args, message):
    proc = run_tool(args)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-1500:])
    assert message in proc.stderr and 'Traceback' not in proc.stderr


def test_data_errors_exit_1(empty_folder, bad_images, tmp_path):
    proc = run_tool(['tools/inspect_defects.py', CONFIG, CKPT_40E, empty_folder])
    assert proc.returncode == 1 and f'no image or video in {empty_folder}' in proc.stderr
    proc = run_tool(['tools/inspect_defects.py', CONFIG, CKPT_40E, bad_images, '--out-dir',
                     str(tmp_path / 'r')])  # every picture unreadable: nothing inspected
    assert proc.returncode == 1 and 'broken.jpg' in proc.stdout + proc.stderr
    proc = run_tool(['tools/analysis_tools/benchmark.py', CONFIG, '--images', bad_images,
                     '--batch-size', '1', '--no-onnx', '--no-pipeline'])
    assert proc.returncode == 1 and f'no readable image in {bad_images}' in proc.stderr
    assert 'Traceback' not in proc.stderr
