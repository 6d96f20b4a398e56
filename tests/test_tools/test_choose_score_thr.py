"""tools/analysis_tools/choose_score_thr.py: per-class alarm thresholds chosen on val."""
import re

from conftest import CKPT_40E, RECIPE_40E, no_worker_options, run_tool

from mmdet_shuffledefect.utils.score_thresholds import parse_spec

TOOL = 'tools/analysis_tools/choose_score_thr.py'
CLASSES = ('crazing', 'inclusion', 'patches', 'pitted_surface', 'rolled-in_scale', 'scratches')


def _chosen(text):
    """class -> chosen threshold, from the val table (the first table of the report)."""
    val = text.split('Config line')[0]
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r'^\| ([a-z_-]+) \| ([\d.]+)', val, re.M)}


def test_thresholds_are_chosen_on_val_and_a_margin_lowers_them(synth_det, tmp_path):
    grid = '0.05,0.1,0.2,0.3,0.4,0.5'
    reports = {}
    for steps, cap in ((0, []), (1, []), ('cap', ['--max-false-alarm', '0'])):
        out = tmp_path / f'thr{steps}.md'
        proc = run_tool([TOOL, RECIPE_40E, CKPT_40E, '--grid', grid, '--margin-steps',
                         '1' if steps == 'cap' else str(steps), '--data-root', synth_det,
                         '--work-dir', str(tmp_path / f'w{steps}'), '--out', str(out)]
                        + cap + ['--cfg-options'] + no_worker_options())
        assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-3000:]
        reports[steps] = out.read_text()
    edge, margin = _chosen(reports[0]), _chosen(reports[1])
    assert set(edge) == set(CLASSES) == set(margin), reports[0]
    values = sorted(float(v) for v in grid.split(','))
    for name in CLASSES:  # one grid step lower, never below the lowest
        assert margin[name] == values[max(0, values.index(edge[name]) - 1)], (name, reports)
    assert '1 grid step(s) lower' in reports[1] and 'grid step' not in reports[0]
    # no false alarm allowed: every class's val false alarms are 0, or it sits at the top
    capped = {m.group(1): (float(m.group(2)), m.group(3), float(m.group(4))) for m in
              re.finditer(r'^\| ([a-z_-]+) \| ([\d.]+)([^|]*)\| [\d.]+% \| ([\d.]+)%',
                          reports['cap'].split('Config line')[0], re.M)}
    assert set(capped) == set(CLASSES), reports['cap']
    for name, (thr, note, alarms) in capped.items():
        if 'none keeps' in note:  # no threshold keeps the recall: the lowest, as without a cap
            continue
        assert (alarms == 0 and thr >= margin[name]) or thr == values[-1], (name, reports)
    assert "raised until its false alarms are <= 0" in reports['cap']
    line = re.search(r"^inspection_score_thr = \{(.*)\}$", reports[0], re.M)
    assert line and all(f"'{c}': {edge[c]:g}" in line.group(1) for c in CLASSES), reports[0]
    # the same thresholds as the publish_model.py command that puts them in the checkpoint
    command = re.search(r"^python tools/model_converters/publish_model.py .* --score-thr '(.*)'$",
                        reports[0], re.M)
    assert command and parse_spec(command.group(1)) == edge, reports[0]


def test_bad_arguments_are_named():
    proc = run_tool([TOOL, RECIPE_40E, CKPT_40E, '--min-recall', '1.5'])
    assert proc.returncode == 2 and '--min-recall must be in (0, 1], got 1.5' in proc.stderr
    proc = run_tool([TOOL, RECIPE_40E, CKPT_40E, '--margin-steps', '-1'])
    assert proc.returncode == 2 and '--margin-steps must be >= 0, got -1' in proc.stderr
    proc = run_tool([TOOL, RECIPE_40E, CKPT_40E, '--max-false-alarm', '2'])
    assert proc.returncode == 2 and '--max-false-alarm must be in [0, 1], got 2' in proc.stderr
    proc = run_tool([TOOL, RECIPE_40E, CKPT_40E, '--grid', '0.1,2'])
    assert proc.returncode == 2 and 'thresholds must be in [0, 1]' in proc.stderr
