"""The wheel carries configs/, tools/, the split files and the compiled batch NMS; users
find them."""
import shutil
import subprocess
import sys
import zipfile

from conftest import REPO, run_tool


def test_wheel_ships_configs_tools_and_splits(tmp_path):
    src = tmp_path / 'src'
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(
        '.venv', '.git', 'work_dirs', 'outputs', 'data', '__pycache__', '*.egg-info', 'build', '*.so'))
    proc = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
                           '--no-build-isolation', str(src), '-w', str(tmp_path / 'dist')],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next((tmp_path / 'dist').glob('mmdet_shuffledefect-*.whl'))
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ('mmdet_shuffledefect/.mim/configs/sdn_ssd_neu.py',
                 'mmdet_shuffledefect/.mim/configs/classification/sdn-1.0x_linear_30e_neu-cls.py',
                 'mmdet_shuffledefect/.mim/tools/train.py',
                 'mmdet_shuffledefect/.mim/tools/dist_train.sh',
                 'mmdet_shuffledefect/split_lists/neu-det/train.txt',
                 'mmdet_shuffledefect/split_lists/neu-cls/test.txt',
                 # the shift page's markup, style and script, files beside their module
                 'mmdet_shuffledefect/inspection/report_page.css',
                 'mmdet_shuffledefect/inspection/report_page.js',
                 'mmdet_shuffledefect/inspection/report_page.html'):
        assert path in names, path
    # the product only: no study code, configs or tools (projects/shuffledefectnet_study)
    study = sorted(n for n in names if 'sdn_study' in n or 'classical' in n.split('/')
                   or 'cross_validate' in n or 'screen_recipe' in n or '/projects/' in n)
    assert not study, study
    # the compiled batch NMS, built from csrc/ by the wheel build itself
    assert any(n.startswith('mmdet_shuffledefect/_greedy_nms') and n.endswith('.so')
               for n in names), sorted(n for n in names if n.endswith('.so'))


def test_where_finds_configs_and_tools():
    import os.path as osp
    proc = run_tool(['-m', 'mmdet_shuffledefect.where', 'configs'])
    assert proc.returncode == 0
    assert osp.isfile(osp.join(proc.stdout.strip(), 'sdn_ssd_neu.py'))
    proc = run_tool(['-m', 'mmdet_shuffledefect.where', 'nonsense'])
    assert proc.returncode != 0 and "'nonsense'" in proc.stderr
