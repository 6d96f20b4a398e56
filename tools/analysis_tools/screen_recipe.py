"""Screen recipe levers on val: train configs one after another on a short schedule.

Each config trains with ``tools/train.py`` for ``--epochs`` (its cosine schedule
shortened to match) and seed ``--seed`` into
``<work-root>/<config stem>_<E>e_seed<S>/`` (log ``train_stdout.log``, record
``run.json``: command, commit, seed, wall and CPU minutes, exit code). A
finished run is skipped, an interrupted one resumes from its last checkpoint, a
failing one is reported and the next one starts. The table of val mAP@0.5 per
class (first config = reference of the delta column) goes between the marker
lines of ``--out`` for that schedule and seed (the rest of the file, the discussion
and the other schedules' tables, is kept).

Example:
    python tools/analysis_tools/screen_recipe.py \\
        configs/detection/ssd_sdn-1.0x_fusion_40e_neu-det.py \\
        configs/detection/recipe_ablation/ssd_sdn_ema.py --epochs 20 \\
        --out results/recipe_ablation.md
    python tools/analysis_tools/screen_recipe.py CONFIGS... --epochs 20 --summarize-only
"""
import argparse
import datetime
import glob
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
sys.path.insert(0, REPO)

from mmengine.config import Config  # noqa: E402

from mmdet_shuffledefect.utils import screening  # noqa: E402
from mmdet_shuffledefect.utils.cli import fail  # noqa: E402
from mmdet_shuffledefect.utils.config_data import schedule_overrides  # noqa: E402
from mmdet_shuffledefect.utils.env import cpu_model, environment_info, git_commit  # noqa: E402


def markers(args) -> tuple:
    """The lines around this schedule's and seed's table (one block per pair)."""
    tag = f'screen {args.epochs}e seed {args.seed}'
    return f'<!-- {tag}: begin -->', f'<!-- {tag}: end -->'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='lever configs; the first is the reference')
    parser.add_argument('--epochs', type=int, required=True, help='screening schedule length')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-root', default='work_dirs/screen')
    parser.add_argument('--out', default='results/recipe_ablation.md',
                        help='markdown file; the table goes between its marker lines')
    parser.add_argument('--summarize-only', action='store_true',
                        help='write the table from the runs so far, train nothing')
    parser.add_argument('--data-root', help='passed to tools/train.py (default: the configs\')')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='more options for every run, after the schedule ones')
    return parser.parse_args(argv)


def run_dir(args, config: str) -> str:
    stem = osp.splitext(osp.basename(config))[0]
    return osp.join(args.work_root, f'{stem}_{args.epochs}e_seed{args.seed}')


def read_record(work_dir: str) -> dict:
    """The run record (``run.json``) of a work dir, or {} before its first run."""
    path = osp.join(work_dir, 'run.json')
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def dirty() -> bool:
    proc = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'],
                          capture_output=True, text=True)
    return bool(proc.stdout.strip())


def train_one(args, config: str, work_dir: str) -> dict:
    """Train (or resume) one config; return its run record."""
    cfg = Config.fromfile(config)
    options = schedule_overrides(cfg, args.epochs)
    options['randomness.seed'] = args.seed
    cmd = [sys.executable, osp.relpath(osp.join(REPO, 'tools', 'train.py')), config,
           '--work-dir', work_dir]
    if args.data_root:
        cmd += ['--data-root', args.data_root]
    cmd += ['--cfg-options'] + [f'{k}={v}' for k, v in options.items()] + args.cfg_options
    if glob.glob(osp.join(work_dir, 'epoch_*.pth')):
        cmd.append('--resume')
    os.makedirs(work_dir, exist_ok=True)
    record = read_record(work_dir)
    commit = git_commit() + ('+dirty' if dirty() else '')
    print(f'[screen] {config}: {" ".join(cmd)}', flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    with open(osp.join(work_dir, 'train_stdout.log'), 'a') as log:
        rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # a resumed run adds its time to the earlier part's
    record.update(
        config=config, epochs=args.epochs, seed=args.seed,
        command=' '.join(c if c != sys.executable else 'python' for c in cmd
                         if c != '--resume'),
        commits=sorted(set(record.get('commits', [])) | {commit}), rc=rc,
        wall_min=record.get('wall_min', 0.0) + (time.time() - start) / 60,
        cpu_min=record.get('cpu_min', 0.0) + cpu / 60,
        hardware=f'{cpu_model()}, {os.cpu_count()} cores',
        environment=', '.join(f'{k} {v}' for k, v in environment_info().items()
                              if k != 'git_commit'),
        finished=datetime.datetime.now().isoformat(timespec='seconds'))
    with open(osp.join(work_dir, 'run.json'), 'w') as f:
        json.dump(record, f, indent=1)
    return record


def write_table(args, configs) -> None:
    runs, commands, environments = [], [], []
    classes = None
    for config in configs:
        work_dir = run_dir(args, config)
        record = read_record(work_dir)
        if classes is None:
            classes = Config.fromfile(config).get('classes')
        summary = screening.run_summary(screening.read_val_metrics(work_dir))
        name = osp.relpath(config, REPO) if osp.isabs(config) else config
        runs.append(dict(name=f'`{osp.basename(config)}`', epochs=args.epochs, seed=args.seed,
                         wall_min=record.get('wall_min'), summary=summary))
        if record:
            cpu = record.get('cpu_min')
            cpu = 'CPU time not recorded' if cpu is None else f'{cpu:.1f} CPU min'
            commands.append(f'- `{name}`: commit {", ".join(record["commits"])}, exit '
                            f'{record["rc"]}, {record["wall_min"]:.1f} wall min, {cpu}, '
                            f'{record["hardware"]}: `{record["command"]}`')
            env = record.get('environment', 'not recorded')
            if env not in environments:
                environments.append(env)
    begin, end = markers(args)
    block = [begin,
             f'Val split mAP@0.5 (VOC area mode) after {args.epochs} epochs, seed {args.seed}, '
             f'per class at the last epoch; generated by `python '
             f'tools/analysis_tools/screen_recipe.py {" ".join(configs)} --epochs '
             f'{args.epochs} --seed {args.seed}`.', '']
    block += screening.ablation_rows(runs, classes or ())
    block += ['', 'Runs (each resumable; the command without `--resume`):', ''] + commands
    block += [''] + [f'environment of the runs: {e}' for e in environments] + [end]
    text = ''
    if osp.isfile(args.out):
        with open(args.out) as f:
            text = f.read()
    if begin in text and end in text:
        text = text[:text.index(begin)] + '\n'.join(block) + text[text.index(end) + len(end):]
    else:
        text = (text or '# Recipe ablation on NEU-DET val\n\n') + '\n'.join(block) + '\n'
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        f.write(text)
    print('\n'.join(block[3:3 + len(runs) + 2]))
    print(f'[screen] table written to {args.out}')


def main(argv=None) -> None:
    args = parse_args(argv)
    for config in args.configs:
        if not osp.isfile(config):
            fail(f'config not found: {config}')
    if args.epochs < 1:
        fail(f'--epochs must be >= 1, got {args.epochs}')
    failed = []
    if not args.summarize_only:
        for config in args.configs:
            work_dir = run_dir(args, config)
            if read_record(work_dir).get('rc') == 0:
                print(f'[screen] {config}: finished before, skipped', flush=True)
                continue
            record = train_one(args, config, work_dir)
            if record['rc'] != 0:
                failed.append(config)
                print(f'[screen] {config}: FAILED (exit {record["rc"]}), see '
                      f'{work_dir}/train_stdout.log; going on', flush=True)
            write_table(args, args.configs)
    write_table(args, args.configs)
    if failed:
        fail(f'{len(failed)} run(s) failed: {failed}', code=1)


if __name__ == '__main__':
    main()
