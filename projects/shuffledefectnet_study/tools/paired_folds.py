"""Paired comparison of two cross-validated classifiers, picture by picture (McNemar).

Reads the fold results of two ``cross_validate.py`` work dirs run on the same folds (same
images, ``--folds`` and ``--seed``), matches every test picture, and prints the 2x2
table of right/wrong, McNemar's exact p-value and every picture where exactly one of the
two is wrong. Folds tested in only one of the work dirs are left out, and the output says
which.

Example:
    python projects/shuffledefectnet_study/tools/paired_folds.py work_dirs/cv_conv/sdn-1.0x \\
        work_dirs/cv_conv/shufflenetv2-1.0x --names "SDN 1.0x" "ShuffleNetV2 1.0x" \\
        --out work_dirs/cv_conv/sdn_vs_shufflenetv2.md
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import sys
from typing import Dict, List

from mmdet_shuffledefect.datasets.neu_classes import NEU_CLASSES
from mmdet_shuffledefect.evaluation.paired_test import paired_counts
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
from mmdet_shuffledefect.utils.tool_errors import fail


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(formatter_class=DefaultsHelpFormatter,
                                     description=__doc__.splitlines()[0])
    parser.add_argument('work_a', help='work dir of model A (cross_validate.py)')
    parser.add_argument('work_b', help='work dir of model B, the same folds')
    parser.add_argument('--names', nargs=2, metavar=('A', 'B'),
                        help='names of the two models (default: the work dirs\' names)')
    parser.add_argument('--classes', nargs='+', default=list(NEU_CLASSES),
                        help='class names in label order')
    parser.add_argument('--out', help='also write the markdown to this file')
    return parser.parse_args(argv)


def fold_results(work_dir: str) -> Dict[int, dict]:
    """Fold index -> that fold's ``result.json`` (exit 2 if there is none)."""
    if not osp.isdir(work_dir):
        fail(f'{work_dir} is not a folder (expected a cross_validate.py work dir)')
    results = {}
    for path in glob.glob(osp.join(work_dir, 'fold*', 'result.json')):
        index = re.fullmatch(r'fold(\d+)', osp.basename(osp.dirname(path)))
        if index is None:
            continue
        try:
            with open(path) as f:
                result = json.load(f)
            rows = [(str(n), int(t), int(p)) for n, t, p in result['predictions']]
        except (ValueError, KeyError, TypeError) as err:
            fail(f'{path} is not a fold result of cross_validate.py ({err})')
        results[int(index.group(1))] = dict(result, predictions=rows)
    if not results:
        fail(f'{work_dir} has no tested fold (no fold*/result.json)')
    return results


def compare(results_a: Dict[int, dict], results_b: Dict[int, dict], names: List[str],
            classes: List[str]) -> List[str]:
    """The markdown lines of the comparison over the folds both have tested."""
    common = sorted(set(results_a) & set(results_b))
    if not common:
        fail(f'no fold is tested in both: {names[0]} has folds {sorted(results_a)}, '
             f'{names[1]} has {sorted(results_b)}')
    right_a, right_b, pred = {}, {}, {}
    for k in common:
        rows_a = {n: (t, p) for n, t, p in results_a[k]['predictions']}
        rows_b = {n: (t, p) for n, t, p in results_b[k]['predictions']}
        if set(rows_a) != set(rows_b):
            fail(f'fold {k} holds other pictures in the two work dirs '
                 f'({len(set(rows_a) ^ set(rows_b))} differ): not the same folds '
                 '(same images, --folds and --seed expected)')
        for n, (t, p) in rows_a.items():
            right_a[n], right_b[n] = t == p, rows_b[n][0] == rows_b[n][1]
            pred[n] = (t, p, rows_b[n][1])
    c = paired_counts(right_a, right_b)
    label = (lambda i: classes[i] if 0 <= i < len(classes) else str(i))
    left_out = {names[0]: sorted(set(results_a) - set(common)),
                names[1]: sorted(set(results_b) - set(common))}
    total = len(right_a)
    lines = [f'# {names[0]} vs {names[1]}: paired, picture by picture', '',
             f'Folds compared: {", ".join(map(str, common))} ({total} test pictures, each '
             'tested once by a model of each kind that never saw it).']
    lines += [f'Left out: fold(s) {", ".join(map(str, v))} tested only for {k}.'
              for k, v in left_out.items() if v]
    lines += ['', f'| | {names[1]} right | {names[1]} wrong |', '|---|---|---|',
              f'| **{names[0]} right** | {c["both"]} | {c["only_a"]} |',
              f'| **{names[0]} wrong** | {c["only_b"]} | {c["neither"]} |', '',
              f'Errors: {names[0]} {c["errors_a"]} of {total}, {names[1]} {c["errors_b"]} '
              f'of {total}. Discordant pictures: {c["only_a"] + c["only_b"]} '
              f'({c["only_a"]} only {names[1]} gets wrong, {c["only_b"]} only {names[0]} '
              f'gets wrong); McNemar\'s exact two-sided p = {c["p_value"]:.3g}.', '']
    if c['p_value'] < 0.05:
        ahead = names[0] if c['only_a'] > c['only_b'] else names[1]
        lines.append(f'Read: {ahead} is ahead beyond chance at the 5 % level.')
    else:
        lines.append('Read: neither is ahead beyond chance at the 5 % level (the '
                     'discordant pictures are too few or too even).')
    lines += ['', 'Pictures where exactly one is wrong (file: true class; '
              f'{names[0]} / {names[1]} predicted):', '']
    lines += [f'- `{n}`: {label(t)}; {label(pa)} / {label(pb)}'
              for n, (t, pa, pb) in sorted(pred.items()) if right_a[n] != right_b[n]] \
        or ['- none']
    return lines


def main(argv=None) -> int:
    args = parse_args(argv)
    names = args.names or [osp.basename(osp.normpath(d)) for d in (args.work_a, args.work_b)]
    lines = compare(fold_results(args.work_a), fold_results(args.work_b), names, args.classes)
    text = '\n'.join(lines) + '\n'
    print(text, end='')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(text)
        print(f'[paired] written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
