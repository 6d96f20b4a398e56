"""Results tables from test runs: tools/analysis_tools/test_table.py and its helpers."""
import json

import pytest
from conftest import run_tool

from mmdet_shuffledefect.utils import screening

CLASSES = ('crazing', 'scratches')


def fake_test_run(work_dir, stamp, mean_ap, per_class):
    """What tools/test.py leaves in its work dir: <stamp>/<stamp>.json with the metrics."""
    d = work_dir / stamp
    d.mkdir(parents=True)
    metrics = {screening.MAP_KEY: mean_ap, 'pascal_voc/AP50': round(mean_ap, 4)}
    metrics.update({screening.PER_CLASS_PREFIX + c: ap for c, ap in zip(CLASSES, per_class)})
    metrics.update(time=0.1, data_time=0.01)
    (d / f'{stamp}.json').write_text(json.dumps(metrics))
    (d / 'vis_data').mkdir()
    (d / 'vis_data' / 'scalars.json').write_text('{"not": "a test json"}\n')


def test_read_test_metrics_takes_the_newest_run(tmp_path):
    fake_test_run(tmp_path, '20260101_000000', 0.4, [0.3, 0.5])
    fake_test_run(tmp_path, '20260102_000000', 0.6, [0.5, 0.7])
    metrics = screening.read_test_metrics(str(tmp_path))
    assert metrics[screening.MAP_KEY] == 0.6
    assert metrics[screening.PER_CLASS_PREFIX + 'crazing'] == 0.5


def test_read_test_metrics_names_the_dir_without_metrics(tmp_path):
    with pytest.raises(ValueError, match=f'{tmp_path}: no test metrics'):
        screening.read_test_metrics(str(tmp_path))


def test_test_rows_mean_and_std():
    runs = [('a', {screening.MAP_KEY: 0.5, screening.PER_CLASS_PREFIX + 'x': 0.2}),
            ('b', {screening.MAP_KEY: 0.7, screening.PER_CLASS_PREFIX + 'x': 0.4})]
    rows = screening.test_rows(runs)
    assert rows[0] == '| run | mAP@0.5 | x |'
    assert rows[-1] == '| mean of 2 | **0.600** ± 0.100 | 0.300 |'
    with pytest.raises(ValueError, match="run 'c' lacks pascal_voc/AP50_x"):
        screening.test_rows(runs + [('c', {screening.MAP_KEY: 0.1})])


def test_write_block_keeps_the_text_around(tmp_path):
    out = tmp_path / 'r.md'
    out.write_text('# Title\n\nbefore\n<!-- t: begin -->\nold\n<!-- t: end -->\nafter\n')
    screening.write_block(str(out), 't', ['new 1', 'new 2'], '# unused')
    assert out.read_text() == ('# Title\n\nbefore\n<!-- t: begin -->\nnew 1\nnew 2\n'
                               '<!-- t: end -->\nafter\n')
    screening.write_block(str(out), 'u', ['second'], '# unused')
    assert out.read_text().endswith('<!-- u: begin -->\nsecond\n<!-- u: end -->\n')


def test_test_table_tool_writes_the_table_and_commands(tmp_path):
    for seed, (m, aps) in enumerate([(0.5, [0.3, 0.7]), (0.7, [0.5, 0.9])]):
        fake_test_run(tmp_path / f'seed{seed}', '20260101_000000', m, aps)
    out = tmp_path / 'results.md'
    proc = run_tool(['tools/analysis_tools/test_table.py', f'seed 0={tmp_path / "seed0"}',
                     f'seed 1={tmp_path / "seed1"}', '--out', str(out), '--tag', 'seeds',
                     '--command', 'python tools/test.py C K'])
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert text.startswith('# Test results\n\n<!-- seeds: begin -->')
    assert '| seed 1 | 0.700 | 0.500 | 0.900 |' in text
    assert '| mean of 2 | **0.600** ± 0.100 | 0.400 | 0.800 |' in text
    assert 'python tools/test.py C K' in text and "--tag seeds" in text


def test_test_table_tool_bad_input(tmp_path):
    proc = run_tool(['tools/analysis_tools/test_table.py', 'no-equals-sign'])
    assert proc.returncode != 0 and "'no-equals-sign': expected LABEL=WORK_DIR" in proc.stderr
    proc = run_tool(['tools/analysis_tools/test_table.py', f'x={tmp_path / "absent"}'])
    assert proc.returncode != 0 and "absent (run 'x') is not a directory" in proc.stderr
    proc = run_tool(['tools/analysis_tools/test_table.py', f'x={tmp_path}'])
    assert proc.returncode != 0 and 'no test metrics' in proc.stderr


def test_data_size_study_tool_writes_table_and_plot(tmp_path):
    """Points given out of order come back sorted by training images, one column per class,
    and the plot is a real PNG."""
    fake_test_run(tmp_path / 'full', '20260101_000000', 0.6, [0.4, 0.8])
    fake_test_run(tmp_path / 'quarter', '20260101_000000', 0.3, [0.1, 0.5])
    png, out = tmp_path / 'size.png', tmp_path / 'r.md'
    proc = run_tool(['tools/analysis_tools/data_size_study.py', f'1260={tmp_path / "full"}',
                     f'312={tmp_path / "quarter"}', '--png', str(png), '--out', str(out)])
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert '| training images | mAP@0.5 | crazing | scratches |' in text
    assert text.index('| 312 | 0.300 | 0.100 | 0.500 |') < text.index('| 1260 | 0.600 | 0.400 |')
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_data_size_study_bad_input(tmp_path):
    fake_test_run(tmp_path / 'a', '20260101_000000', 0.6, [0.4, 0.8])
    proc = run_tool(['tools/analysis_tools/data_size_study.py', f'many={tmp_path / "a"}'])
    assert proc.returncode != 0 and "'many=" in proc.stderr and 'whole number' in proc.stderr
    proc = run_tool(['tools/analysis_tools/data_size_study.py', f'5={tmp_path / "absent"}'])
    assert proc.returncode != 0 and 'the run with 5 training images) is not a directory' \
        in proc.stderr
    proc = run_tool(['tools/analysis_tools/data_size_study.py', f'5={tmp_path / "a"}',
                     f'5={tmp_path / "a"}'])
    assert proc.returncode != 0 and 'each training-set size once, got [5, 5]' in proc.stderr
