"""Results tables from test runs: the study wing's test_table.py and its helpers."""
import json

import pytest
from conftest import STUDY_TOOLS, run_tool

from sdn_study import screening

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


def test_test_rows_puts_classes_first_and_shows_the_interval():
    """The hardest classes first; a bootstrap interval column only where every run has one."""
    a = {screening.MAP_KEY: 0.5, screening.MAP_KEY + '_low': 0.45,
         screening.MAP_KEY + '_high': 0.56, screening.PER_CLASS_PREFIX + 'x': 0.2,
         screening.PER_CLASS_PREFIX + 'y': 0.8}
    rows = screening.test_rows([('a', a)], first=['y'])
    assert rows[0] == '| run | mAP@0.5 | [95 %] | y | x |'
    assert rows[1] == '|---|---|---|---|---|'
    assert rows[2] == '| a | 0.500 | 0.450-0.560 | 0.800 | 0.200 |'
    b = {k: v for k, v in a.items() if not k.endswith(('_low', '_high'))}
    rows = screening.test_rows([('a', a), ('b', b)])
    assert rows[0] == '| run | mAP@0.5 | x | y |' and rows[2] == '| a | 0.500 | 0.200 | 0.800 |'
    with pytest.raises(ValueError, match=r"classes to put first \['z'\] are not among"):
        screening.test_rows([('a', a)], first=['z'])


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
    proc = run_tool([f'{STUDY_TOOLS}/test_table.py', f'seed 0={tmp_path / "seed0"}',
                     f'seed 1={tmp_path / "seed1"}', '--out', str(out), '--tag', 'seeds',
                     '--command', 'python tools/test.py C K'])
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert text.startswith('# Test results\n\n<!-- seeds: begin -->')
    assert '| seed 1 | 0.700 | 0.500 | 0.900 |' in text
    assert '| mean of 2 | **0.600** ± 0.100 | 0.400 | 0.800 |' in text
    assert 'python tools/test.py C K' in text and "--tag seeds" in text


def test_test_table_tool_bad_input(tmp_path):
    proc = run_tool([f'{STUDY_TOOLS}/test_table.py', 'no-equals-sign'])
    assert proc.returncode != 0 and "'no-equals-sign': expected LABEL=WORK_DIR" in proc.stderr
    proc = run_tool([f'{STUDY_TOOLS}/test_table.py', f'x={tmp_path / "absent"}'])
    assert proc.returncode != 0 and "absent (run 'x') is not a directory" in proc.stderr
    proc = run_tool([f'{STUDY_TOOLS}/test_table.py', f'x={tmp_path}'])
    assert proc.returncode != 0 and 'no test metrics' in proc.stderr
    fake_test_run(tmp_path / 'run', '20260101_000000', 0.5, [0.3, 0.7])
    proc = run_tool([f'{STUDY_TOOLS}/test_table.py', f'x={tmp_path / "run"}',
                     '--first', 'rolled-in_scale'])
    assert proc.returncode != 0 and "['rolled-in_scale'] are not among" in proc.stderr


def test_data_size_study_tool_writes_table_and_plot(tmp_path):
    """Points given out of order come back sorted by training images, one column per class,
    and the plot is a real PNG."""
    fake_test_run(tmp_path / 'full', '20260101_000000', 0.6, [0.4, 0.8])
    fake_test_run(tmp_path / 'quarter', '20260101_000000', 0.3, [0.1, 0.5])
    png, out = tmp_path / 'size.png', tmp_path / 'r.md'
    proc = run_tool([f'{STUDY_TOOLS}/data_size_study.py', f'1260={tmp_path / "full"}',
                     f'312={tmp_path / "quarter"}', '--png', str(png), '--out', str(out)])
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert '| training images | mAP@0.5 | crazing | scratches |' in text
    assert text.index('| 312 | 0.300 | 0.100 | 0.500 |') < text.index('| 1260 | 0.600 | 0.400 |')
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_data_size_study_bad_input(tmp_path):
    fake_test_run(tmp_path / 'a', '20260101_000000', 0.6, [0.4, 0.8])
    proc = run_tool([f'{STUDY_TOOLS}/data_size_study.py', f'many={tmp_path / "a"}'])
    assert proc.returncode != 0 and "'many=" in proc.stderr and 'whole number' in proc.stderr
    proc = run_tool([f'{STUDY_TOOLS}/data_size_study.py', f'5={tmp_path / "absent"}'])
    assert proc.returncode != 0 and 'the run with 5 training images) is not a directory' \
        in proc.stderr
    proc = run_tool([f'{STUDY_TOOLS}/data_size_study.py', f'5={tmp_path / "a"}',
                     f'5={tmp_path / "a"}'])
    assert proc.returncode != 0 and 'each training-set size once, got [5, 5]' in proc.stderr


def fake_train_run(work_dir, parts):
    """What tools/train.py leaves: <stamp>/<stamp>.log per start of the run, each line
    stamped by mmengine; ``parts`` is a list of (stamp, first time, last time, last epoch)."""
    for stamp, first, last, epoch in parts:
        d = work_dir / stamp
        d.mkdir(parents=True)
        (d / f'{stamp}.log').write_text(
            f'{first} - mmengine - INFO - \nSystem environment:\n  sys.platform: linux\n'
            f'{first} - mmengine - INFO - Epoch(train)  [{epoch - 1}][20/157]  lr: 1e-3\n'
            f'{last} - mmengine - INFO - Epoch(train) [{epoch}][140/157]  lr: 1e-5\n')


SWAP = 'configs/swap_backbone/retinanet_sdn-1.0x_fpn_1x_neu-det.py'


def fake_benchmark(path, configs_fast):
    """The JSON of benchmark.py --json: forward, stock and fast rows at batch 1 and 32;
    the fast rows untimed (p50 None) for a head without a fast path."""
    from sdn_study.detector_table import FAST_ROW, STOCK_ROW
    rows = []
    for i, (config, fast) in enumerate(configs_fast):
        for batch, base in ((1, 10.0 + i), (32, 100.0 + i)):
            for name, ms in (('forward only', base), (STOCK_ROW, 3 * base),
                             (FAST_ROW, 1.5 * base if fast else None)):
                rows.append(dict(config=config, checkpoint=None, batch=batch, row=name,
                                 p50=ms, p95=ms, img_s=batch * 1000 / ms if ms else None))
    path.write_text(json.dumps(dict(device='cpu', threads=2, repeats=15, warmup=3,
                                    environment={'cpu': 'Test CPU', 'torch': '2.x'},
                                    rows=rows)))


def test_training_minutes_sums_the_parts_of_a_resumed_run(tmp_path):
    from sdn_study.detector_table import training_minutes
    fake_train_run(tmp_path, [
        ('20260101_100000', '2026/01/01 10:00:00', '2026/01/01 10:30:00', 20),
        ('20260101_120000', '2026/01/01 12:00:00', '2026/01/01 12:45:30', 60)])
    (tmp_path / 'test' / '20260102_000000').mkdir(parents=True)  # a test dir inside: ignored
    info = training_minutes(str(tmp_path))
    assert info == dict(minutes=75.5, parts=2, last_epoch=60)
    with pytest.raises(ValueError, match=f'{tmp_path / "test"}: no training log'):
        training_minutes(str(tmp_path / 'test'))


def test_latency_cells_refuse_a_config_timed_at_two_input_sizes(tmp_path):
    from sdn_study.detector_table import latency_cells
    bench = tmp_path / 'bench.json'
    fake_benchmark(bench, [('configs/sdn_ssd_neu.py', True)])
    record = json.loads(bench.read_text())
    assert latency_cells(record, 'configs/sdn_ssd_neu.py')['path'] == 'fast'
    # benchmark.py CONFIG CONFIG --input-size 0 320: the same config's rows at two inputs
    record['rows'] = [dict(r, input='192x192') for r in record['rows']] + [
        dict(r, input='320x320', input_size=320) for r in record['rows']]
    with pytest.raises(ValueError, match=r'configs/sdn_ssd_neu.py was timed at several input '
                       r'sizes \(192x192, 320x320\)'):
        latency_cells(record, 'configs/sdn_ssd_neu.py')


def test_compare_detectors_tool_writes_one_table(tmp_path):
    """Rows keep the given order; size from the config, latency from the benchmark (fast
    path where timed, else stock), training minutes and epochs from the logs."""
    for name, m, aps in (('sdn', 0.61, [0.3, 0.6]), ('retina', 0.55, [0.2, 0.5])):
        fake_test_run(tmp_path / name / 'test', '20260101_000000', m, aps)
        fake_train_run(tmp_path / name, [('20260101_100000', '2026/01/01 10:00:00',
                                          '2026/01/01 10:50:00', 60)])
    bench = tmp_path / 'bench.json'
    fake_benchmark(bench, [('./configs/sdn_ssd_neu.py', True), (SWAP, False)])
    out = tmp_path / 'r.md'
    proc = run_tool([f'{STUDY_TOOLS}/compare_detectors.py',
                     f'SDN=configs/sdn_ssd_neu.py:{tmp_path / "sdn"}:{tmp_path / "sdn/test"}',
                     f'RetinaNet={SWAP}:{tmp_path / "retina"}:{tmp_path / "retina/test"}',
                     '--benchmark', str(bench), '--out', str(out), '--tag', 'cmp',
                     '--command', 'python tools/train.py X'])
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    lines = [l for l in text.splitlines() if l.startswith('| ')]
    assert lines[0].endswith('| mAP@0.5 | crazing | scratches |')
    assert lines[1] == ('| SDN | 0.878M | 0.106G | 10.0 | 15.0 | 213.3 | fast | 50 (60) | '
                        '**0.610** | 0.300 | 0.600 |')
    assert lines[2].startswith('| RetinaNet |') and '| 11.0 | 33.0 | 105.6 | stock |' in lines[2]
    assert 'Test CPU' in text and 'python tools/train.py X' in text and '--tag cmp' in text


def test_compare_detectors_bad_input(tmp_path):
    fake_test_run(tmp_path / 'sdn' / 'test', '20260101_000000', 0.6, [0.4, 0.8])
    fake_train_run(tmp_path / 'sdn', [('20260101_100000', '2026/01/01 10:00:00',
                                       '2026/01/01 10:50:00', 60)])
    bench = tmp_path / 'bench.json'
    fake_benchmark(bench, [(SWAP, False)])
    good = f'SDN=configs/sdn_ssd_neu.py:{tmp_path / "sdn"}:{tmp_path / "sdn/test"}'

    def run(*items, benchmark=bench):
        return run_tool([f'{STUDY_TOOLS}/compare_detectors.py', *items,
                         '--benchmark', str(benchmark)])
    proc = run('SDN=configs/sdn_ssd_neu.py:only-two')
    assert proc.returncode != 0 and 'expected LABEL=CONFIG:TRAIN_DIR:TEST_DIR' in proc.stderr
    proc = run(good, benchmark=tmp_path / 'none.json')
    assert proc.returncode != 0 and 'none.json does not exist' in proc.stderr
    proc = run(good)
    assert proc.returncode != 0 and 'configs/sdn_ssd_neu.py is not in the benchmark' \
        in proc.stderr and 'retinanet_sdn-1.0x_fpn_1x_neu-det.py' in proc.stderr
    fake_benchmark(bench, [('configs/sdn_ssd_neu.py', True)])
    proc = run(f'SDN=configs/sdn_ssd_neu.py:{tmp_path / "sdn/test"}:{tmp_path / "sdn/test"}')
    assert proc.returncode != 0 and 'no training log' in proc.stderr
    proc = run(f'SDN=configs/absent.py:{tmp_path / "sdn"}:{tmp_path / "sdn/test"}')
    assert proc.returncode != 0 and "configs/absent.py (detector 'SDN') does not exist" \
        in proc.stderr
    proc = run(f'SDN=configs/sdn_ssd_neu.py:{tmp_path / "sdn"}:{tmp_path / "none"}')
    assert proc.returncode != 0 and "none (test of 'SDN') is not a directory" in proc.stderr
