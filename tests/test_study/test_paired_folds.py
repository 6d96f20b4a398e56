"""The study wing's paired_folds.py: two cross-validated classifiers, picture by picture."""
import json
import os.path as osp
import runpy

import pytest
from conftest import REPO, STUDY_TOOLS, run_tool

TOOL = f'{STUDY_TOOLS}/paired_folds.py'


def run_in_process(capsys, *argv):
    """The tool's main() in this process (the exit code and stderr of a bad input)."""
    main = runpy.run_path(osp.join(REPO, TOOL))['main']
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    return exit_info.value.code, capsys.readouterr().err


def write_folds(work, folds):
    """folds: {index: [(name, true, predicted)]} as cross_validate.py writes them."""
    for k, rows in folds.items():
        (work / f'fold{k}').mkdir(parents=True)
        (work / f'fold{k}' / 'result.json').write_text(json.dumps(dict(
            fold=k, images=len(rows), correct=sum(t == p for _, t, p in rows),
            predictions=[list(r) for r in rows])))


def test_paired_folds_table_and_discordant_pictures(tmp_path):
    fold0 = [(f'Cr_{i}.bmp', 0, 0) for i in range(1, 7)] + [('In_1.bmp', 1, 1)]
    fold1 = [(f'Pa_{i}.bmp', 2, 2) for i in range(1, 6)]
    a_rows = {0: fold0, 1: fold1}
    # B is wrong on six crazing pictures A gets right, A wrong on one B gets right
    b_rows = {0: [(n, t, 5) for n, t, _ in fold0[:6]] + [('In_1.bmp', 1, 1)],
              1: fold1}
    a_rows[1] = [('Pa_1.bmp', 2, 3)] + fold1[1:]
    b_rows[2] = [('Sc_1.bmp', 5, 5)]
    write_folds(tmp_path / 'a', a_rows)
    write_folds(tmp_path / 'b', b_rows)
    out = tmp_path / 'paired.md'
    proc = run_tool([TOOL, str(tmp_path / 'a'), str(tmp_path / 'b'), '--names', 'SDN', 'SNV2',
                     '--out', str(out)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text()
    assert 'Folds compared: 0, 1 (12 test pictures' in text
    assert 'Left out: fold(s) 2 tested only for SNV2.' in text
    assert '| **SDN right** | 5 | 6 |' in text and '| **SDN wrong** | 1 | 0 |' in text
    assert 'Errors: SDN 1 of 12, SNV2 6 of 12.' in text
    assert "McNemar's exact two-sided p = 0.125." in text  # 2 * 7/128
    assert 'neither is ahead beyond chance' in text
    assert '- `Pa_1.bmp`: patches; pitted_surface / patches' in text
    assert '- `Cr_3.bmp`: crazing; crazing / scratches' in text


def test_paired_folds_bad_inputs(tmp_path, capsys):
    code, err = run_in_process(capsys, tmp_path / 'nowhere', tmp_path)
    assert code == 2
    assert f'{tmp_path / "nowhere"} is not a folder (expected a cross_validate.py work dir)' in err
    code, err = run_in_process(capsys, tmp_path, tmp_path)
    assert code == 2 and f'{tmp_path} has no tested fold' in err
    write_folds(tmp_path / 'a', {0: [('x.bmp', 0, 0)]})
    write_folds(tmp_path / 'b', {0: [('y.bmp', 0, 0)]})
    write_folds(tmp_path / 'c', {1: [('x.bmp', 0, 0)]})
    code, err = run_in_process(capsys, tmp_path / 'a', tmp_path / 'b')
    assert code == 2
    assert 'fold 0 holds other pictures in the two work dirs (2 differ): not the same ' \
        'folds' in err
    code, err = run_in_process(capsys, tmp_path / 'a', tmp_path / 'c')
    assert code == 2 and 'no fold is tested in both: a has folds [0], c has [1]' in err
    (tmp_path / 'b' / 'fold0' / 'result.json').write_text('{"fold": 0}')
    code, err = run_in_process(capsys, tmp_path / 'a', tmp_path / 'b')
    assert code == 2
    assert 'fold0/result.json is not a fold result of cross_validate.py' in err
