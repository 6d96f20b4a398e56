"""Screen recipe levers on val: train configs one after another on a short schedule.

Each config trains with ``tools/train.py --epochs`` (the whole schedule scaled: LR end,
validation and checkpoint intervals, pipeline switch) and seed ``--seed`` into
``<work-root>/<config stem>_<E>e_seed<S>/`` (log ``train_stdout.log``, record
``run.json``: command, commit, seed, wall and CPU minutes, exit code). A
finished run is skipped, an interrupted one resumes from its last checkpoint, a
failing one is reported and the next one starts. The table of val mAP@0.5 per
class (first config = reference of the delta column) goes between the marker
lines of ``--out`` for that schedule and seed (the rest of the file, the discussion
and the other schedules' tables, is kept).

Example:
    python projects/shuffledefectnet_study/tools/screen_recipe.py \\
        configs/ssd/ssd_sdn-1.0x_fusion_40e_neu-det.py \\
        projects/shuffledefectnet_study/configs/recipe_ablation/ssd_sdn_ema.py --epochs 20 \\
        --out results/recipe_ablation.md
    python projects/shuffledefectnet_study/tools/screen_recipe.py CONFIGS... --epochs 20 --summarize-only
"""
import argparse
import glob
import os.path as osp
import sys

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.abspath(osp.join(HERE, '..', '..', '..'))  # the repository root

from mmengine.config import Config

from sdn_study import screening
from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
from mmdet_shuffledefect.utils.tool_errors import fail
from sdn_study.run_record import read_record, run_recorded


def marker_tag(args) -> str:
    """The tag of the markers around this schedule's and seed's table (one block per pair)."""
    return f'screen {args.epochs}e seed {args.seed}'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='lever configs; the first is the reference')
    parser.add_argument('--epochs', type=int, required=True, help='screening schedule length')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-root', default='work_dirs/screen')
    parser.add_argument('--out', default=None,
                        help='markdown file (e.g. results/recipe_ablation.md); the table goes '
                        'between its marker lines; by default it is only printed')
    parser.add_argument('--summarize-only', action='store_true',
                        help='write the table from the runs so far, train nothing')
    parser.add_argument('--data-root', help='passed to tools/train.py (default: the configs\')')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='more options for every run, after the schedule ones')
    return parser.parse_args(argv)


def run_dir(args, config: str) -> str:
    stem = osp.splitext(osp.basename(config))[0]
    return osp.join(args.work_root, f'{stem}_{args.epochs}e_seed{args.seed}')


def train_one(args, config: str, work_dir: str) -> dict:
    """Train (or resume) one config; return its run record."""
    cmd = [sys.executable, osp.relpath(osp.join(REPO, 'tools', 'train.py')), config,
           '--work-dir', work_dir, '--epochs', str(args.epochs)]
    if args.data_root:
        cmd += ['--data-root', args.data_root]
    cmd += ['--cfg-options', f'randomness.seed={args.seed}'] + args.cfg_options
    if glob.glob(osp.join(work_dir, 'epoch_*.pth')):
        cmd.append('--resume')
    print(f'[screen] {config}: {" ".join(cmd)}', flush=True)
    return run_recorded(cmd, work_dir, config=config, epochs=args.epochs, seed=args.seed)


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
    block = [f'Val split mAP@0.5 (VOC area mode) after {args.epochs} epochs, seed {args.seed}, '
             f'per class at the last epoch; generated by `python '
             f'projects/shuffledefectnet_study/tools/screen_recipe.py {" ".join(configs)} --epochs '
             f'{args.epochs} --seed {args.seed}`.', '']
    block += screening.ablation_rows(runs, classes or ())
    block += ['', 'Runs (each resumable; the command without `--resume`):', ''] + commands
    block += [''] + [f'environment of the runs: {e}' for e in environments]
    print('\n'.join(block[2:2 + len(runs) + 2]))
    if args.out:
        screening.write_block(args.out, marker_tag(args), block,
                              '# Recipe ablation on NEU-DET val')
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
