"""The model zoo from its metafiles: print or write the README table, check, verify.

  table          print the role table and the model-zoo table rendered from model-index.yml
                 (the role table's speeds from --speed, one benchmark.py --json run)
  update-readme  write them into README.md (between the marker lines)
  check          exit 1 naming every problem: README tables out of date, weights
                 missing, sha256 not matching the file name suffix or the metafile,
                 weights not named <config stem>_<tag>-<hash>.pth, a detector checkpoint
                 without its classes and alarm thresholds
  verify NAME    test the published checkpoint NAME on its config's test split
                 (tools/test.py) and compare with the metafile metric

Example:
    python tools/misc/model_zoo.py check
    python tools/misc/model_zoo.py verify sdn_ssd_neu_40e          # data/NEU-DET
"""
import argparse
import os.path as osp
import re
import subprocess
import sys

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))

from mmdet_shuffledefect.reporting import model_zoo as zoo
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
from mmdet_shuffledefect.utils.tool_errors import fail

#: Metric names of the metafiles -> the key tools/test.py prints.
TEST_KEYS = {'mAP@0.5': 'pascal_voc/mAP', 'top-1': 'accuracy/top1'}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('command', choices=['table', 'update-readme', 'check', 'verify'])
    parser.add_argument('name', nargs='?', help='model name (verify)')
    parser.add_argument('--index', default=osp.join(REPO, 'model-index.yml'))
    parser.add_argument('--readme', default=osp.join(REPO, 'README.md'))
    parser.add_argument('--speed', help='benchmark.py --json record of every published detector '
                        f'(default: {zoo.SPEED_FILE} beside the index)')
    parser.add_argument('--data-root', help='test data (verify; default: the config\'s)')
    parser.add_argument('--tolerance', type=float, default=0.002,
                        help='largest |measured - metafile| that verify accepts')
    parser.add_argument('--work-dir', help='work dir of the verify test run')
    return parser.parse_args(argv)


def verify(args, models) -> int:
    entry = next((m for m in models if m['Name'] == args.name), None)
    if entry is None:
        fail(f'no model {args.name!r} in {args.index}; known: {[m["Name"] for m in models]}')
    metric, expected = zoo.main_metric(entry)
    key = TEST_KEYS.get(metric)
    if key is None:
        fail(f'{args.name}: cannot verify metric {metric!r} (known: {sorted(TEST_KEYS)})')
    root = osp.dirname(osp.abspath(args.index))
    cmd = [sys.executable, osp.join(REPO, 'tools', 'test.py'), osp.join(root, entry['Config']),
           osp.join(root, entry['Weights'])]
    if args.data_root:
        cmd += ['--data-root', args.data_root]
    if args.work_dir:
        cmd += ['--work-dir', args.work_dir]
    print('$ ' + ' '.join(cmd), flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        fail(f'{args.name}: tools/test.py failed (exit {proc.returncode})', code=1)
    found = re.findall(re.escape(key) + r': ([\d.]+)', proc.stdout + proc.stderr)
    if not found:
        fail(f'{args.name}: tools/test.py printed no {key}', code=1)
    measured = float(found[-1])
    ok = abs(measured - expected) <= args.tolerance
    print(f"{args.name}: {metric} measured {measured:.4f}, metafile {expected:.4f} -> "
          f"{'OK' if ok else 'MISMATCH'} (tolerance {args.tolerance})")
    return 0 if ok else 1


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        models = zoo.load_models(args.index)
    except (FileNotFoundError, ValueError) as err:
        fail(str(err))
    role_table = None
    if args.command in ('table', 'update-readme'):
        try:
            role_table = zoo.role_table(models, args.index, args.speed)
        except (FileNotFoundError, ValueError) as err:
            fail(str(err))
    if args.command == 'table':
        print((role_table + '\n\n' if role_table else '') + zoo.render_table(models))
        return 0
    if args.command == 'update-readme':
        with open(args.readme) as f:
            text = f.read()
        try:
            text = zoo.replace_readme_table(text, zoo.render_table(models))
            if role_table is not None:
                text = zoo.replace_readme_role_table(text, role_table)
        except ValueError as err:
            fail(f'{args.readme}: {err}')
        with open(args.readme, 'w') as f:
            f.write(text)
        for path, own in zoo.folder_readmes(models).items():
            with open(path) as f:
                folder = zoo.replace_readme_table(f.read(), zoo.render_table(own))
            with open(path, 'w') as f:
                f.write(folder)
            print(f'wrote the table of {len(own)} models into {path}')
        print(f'wrote the model-zoo table ({len(models)} models)'
              + (' and the role table' if role_table else '') + f' into {args.readme}')
        return 0
    if args.command == 'check':
        problems = zoo.check_zoo(args.index, args.readme, args.speed)
        for p in problems:
            print(f'error: {p}', file=sys.stderr)
        if not problems:
            print(f'model zoo OK: {len(models)} models, README tables up to date, weights and '
                  'sha256 match, named after their configs, detectors carry classes and '
                  'thresholds')
        return 1 if problems else 0
    if not args.name:
        fail('verify needs a model NAME')
    return verify(args, models)


if __name__ == '__main__':
    sys.exit(main())
