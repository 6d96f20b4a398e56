"""tools/analysis_tools/sweep_test_cfg.py: inference settings swept on one loaded model."""
import re

from conftest import CKPT_40E, RECIPE_40E, no_worker_options, run_tool

TOOL = 'tools/analysis_tools/sweep_test_cfg.py'


def test_each_setting_reaches_the_head(synth_det, tmp_path):
    out = tmp_path / 'sweep.md'
    proc = run_tool([TOOL, RECIPE_40E, CKPT_40E, '--values', 'score_thr=0.02,1.5',
                     'nms.iou_threshold=0.45', '--data-root', synth_det,
                     '--work-dir', str(tmp_path / 'w'), '--out', str(out),
                     '--cfg-options'] + no_worker_options())
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-3000:]
    assert '[2/2] val split, test_cfg score_thr=1.5, nms.iou_threshold=0.45' in proc.stdout
    rows = {m.group(1): float(m.group(2)) for m in re.finditer(
        r'^\| ([\d.]+) \| 0\.45 \| \**([\d.]+)', out.read_text(), re.M)}
    # a threshold above every score leaves no detection: the setting reached the head
    assert rows['1.5'] == 0.0 and rows['0.02'] > 0.0, rows
    text = out.read_text()
    assert re.search(r'^\| 0\.02 \| 0\.45 \|.*\| config, best \|$', text, re.M), text
    assert 'environment: git_commit' in text


def test_bad_values_are_refused_by_name(tmp_path):
    proc = run_tool([TOOL, RECIPE_40E, CKPT_40E, '--values', 'nms.iou_threshold=high'])
    assert proc.returncode == 2 and "'high' is not a number" in proc.stderr


def test_unknown_key_is_named(synth_det, tmp_path):
    proc = run_tool([TOOL, RECIPE_40E, CKPT_40E, '--values', 'nms.iou=0.5',
                     '--data-root', synth_det, '--work-dir', str(tmp_path),
                     '--cfg-options'] + no_worker_options())
    assert proc.returncode == 2
    assert "model.test_cfg has no 'nms.iou'" in proc.stderr


def test_nms_type_takes_names_and_soft_nms_runs_mmdets_path(synth_det, tmp_path):
    out = tmp_path / 'sweep.md'
    proc = run_tool([TOOL, RECIPE_40E, CKPT_40E, '--values', 'nms.type=nms,soft_nms',
                     '--data-root', synth_det, '--work-dir', str(tmp_path / 'w'),
                     '--out', str(out), '--cfg-options'] + no_worker_options())
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-3000:]
    rows = {m.group(1): float(m.group(2)) for m in re.finditer(
        r'^\| (nms|soft_nms) \| \**([\d.]+)', out.read_text(), re.M)}
    assert set(rows) == {'nms', 'soft_nms'} and rows['soft_nms'] > 0, out.read_text()
    # the fast head cannot do soft-NMS in its batched path and says it used mmdet's instead
    assert "nms.type='soft_nms'" in proc.stdout and "mmdet's per-image" in proc.stdout


def test_names_only_where_the_key_takes_them(tmp_path):
    proc = run_tool([TOOL, RECIPE_40E, CKPT_40E, '--values', 'nms.type=soft nms'])
    assert proc.returncode == 2 and "'soft nms' is not a name" in proc.stderr
