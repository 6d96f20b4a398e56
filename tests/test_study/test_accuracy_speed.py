"""The accuracy-speed picture: published detectors from the model index and one benchmark
run, other input sizes from test runs, peers from their file; bad input named."""
import json

import yaml
from conftest import STUDY_TOOLS, run_tool

from sdn_study import screening

TOOL = f'{STUDY_TOOLS}/accuracy_speed.py'


def _entry(name, role, map50, interval):
    meta = {'Test Interval': interval}
    if role:
        meta['Role'] = role
    return {'Name': name, 'Config': f'configs/{name}.py', 'Metadata': meta,
            'Results': [{'Task': 'Object Detection', 'Dataset': 'NEU-DET',
                         'Metrics': {'mAP@0.5': map50}}],
            'Weights': f'ckpt/{name}.pth', 'SHA256': '0' * 64}


def _zoo(tmp_path):
    """An index of three detectors (one never timed) and one benchmark run: the paper's at
    200/100 img/s (onnxruntime/OpenVINO), the line one at 500/300 and at 256 px 250/150."""
    models = [_entry('paper_neu-det', 'paper', 0.61, '0.58-0.65'),
              _entry('line_neu-det', 'line', 0.68, '0.65-0.72'),
              _entry('untimed_neu-det', None, 0.5, '0.4-0.6')]
    (tmp_path / 'configs').mkdir()
    (tmp_path / 'configs' / 'metafile.yml').write_text(yaml.safe_dump({'Models': models}))
    (tmp_path / 'model-index.yml').write_text('Import:\n  - configs/metafile.yml\n')
    rows = []
    for name, size, ort, ov in (('paper', None, 200., 100.), ('line', None, 500., 300.),
                                ('line', 256, 250., 150.)):
        for row, rate in (('forward only', 1000.), ('onnxruntime (whole detector)', ort),
                          ('openvino 2026.4.1, precision f32 (whole detector)', ov)):
            rows.append(dict(config=f'configs/{name}_neu-det.py', batch=32, row=row,
                             img_s=rate, input_size=size))
    speed = tmp_path / 'speed.json'
    speed.write_text(json.dumps(dict(threads=2, rows=rows, environment=dict(
        cpu='AMD EPYC (AVX2)', git_commit='abc1234'))))
    test_dir = tmp_path / 'line_256' / '20260101_000000'
    test_dir.mkdir(parents=True)
    (test_dir / '20260101_000000.json').write_text(json.dumps({
        screening.MAP_KEY: 0.63, screening.MAP_KEY + '_low': 0.6,
        screening.MAP_KEY + '_high': 0.67}))
    peers = tmp_path / 'peers.json'
    peers.write_text(json.dumps({'detectors': [{
        'name': 'YOLO', 'mAP': 0.7, 'source': 'somebody else',
        'speed_ratio': {'onnxruntime': [0.9, 1.1]}}]}))
    return ['--index', str(tmp_path / 'model-index.yml'), '--speed', str(speed),
            '--peers', str(peers)]


def test_points_are_ratios_within_the_run_and_the_picture_is_drawn(tmp_path):
    args = _zoo(tmp_path)
    png, out = tmp_path / 'as.png', tmp_path / 'r.md'
    proc = run_tool([TOOL, *args, '--size-run', f'line_neu-det@256={tmp_path / "line_256"}',
                     '--png', str(png), '--out', str(out)])
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert '| paper: paper | 0.610 [0.580-0.650] | 200 (1.00x) | 100 (1.00x) |' in text
    assert '| line: line | 0.680 [0.650-0.720] | 500 (2.50x) | 300 (3.00x) |' in text
    assert '| line @ 256 px | 0.630 [0.600-0.670] | 250 (1.25x) | 150 (1.50x) |' in text
    assert '| YOLO | 0.700 | (0.90-1.10x) | - |' in text
    assert 'AMD EPYC (AVX2), commit abc1234' in text and 'Peer YOLO: somebody else' in text
    assert 'Not drawn (no row in speed.json): untimed_neu-det' in text
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_bad_input_is_named(tmp_path):
    args = _zoo(tmp_path)
    proc = run_tool([TOOL, *args, '--size-run', 'line_neu-det=somewhere'])
    assert proc.returncode != 0 and "'line_neu-det=somewhere': expected NAME@PX=WORK_DIR" \
        in proc.stderr
    proc = run_tool([TOOL, *args, '--size-run', f'nope@256={tmp_path / "line_256"}'])
    assert proc.returncode != 0 and "no model 'nope' in the index" in proc.stderr
    proc = run_tool([TOOL, *args, '--size-run', f'line_neu-det@320={tmp_path / "line_256"}'])
    assert proc.returncode != 0 and 'has no 320-px row of configs/line_neu-det.py' in proc.stderr
    proc = run_tool([TOOL, *args, '--reference', 'untimed_neu-det'])
    assert proc.returncode != 0 and 'does not time the reference untimed_neu-det' in proc.stderr
    (tmp_path / 'peers.json').write_text(json.dumps({'detectors': [{
        'name': 'YOLO', 'mAP': 0.7, 'source': 's', 'speed_ratio': {'tensorrt': [1, 2]}}]}))
    proc = run_tool([TOOL, *args])
    assert proc.returncode != 0 and "YOLO: runtime 'tensorrt', expected one of" in proc.stderr
    (tmp_path / 'peers.json').write_text(json.dumps({'detectors': [{
        'name': 'YOLO', 'mAP': 0.7, 'source': 's', 'speed_ratio': {'onnxruntime': [2, 1]}}]}))
    proc = run_tool([TOOL, *args])
    assert proc.returncode != 0 and 'onnxruntime ratio [2, 1] is not [LOW, HIGH]' in proc.stderr
