"""Run a training/test command as a child process and keep a record of it.

The record (a JSON file in the work dir) says what ran and where: the command
(without ``--resume``), the commits it ran at (``+dirty`` for uncommitted
changes), the exit status, wall and CPU minutes (a resumed run adds to the
earlier part's), the hardware and the library versions. The screening and
cross-validation tools write one per run; results files quote them.

Example:
    >>> rec = run_recorded(['python', '-c', 'pass'], '/tmp/run_record_demo')  # doctest: +SKIP
    >>> rec['rc'], rec['command']                                            # doctest: +SKIP
    (0, 'python -c pass')
"""
import datetime
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time
from typing import List

from mmdet_shuffledefect.utils.env import cpu_model, environment_info, git_commit


def read_record(work_dir: str, name: str = 'run.json') -> dict:
    """The record ``name`` of a work dir, or {} before its first run."""
    path = osp.join(work_dir, name)
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _dirty() -> bool:
    proc = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'],
                          capture_output=True, text=True)
    return bool(proc.stdout.strip())


def run_recorded(cmd: List[str], work_dir: str, name: str = 'run.json',
                 log_name: str = 'train_stdout.log', **fields) -> dict:
    """Run ``cmd`` with its output appended to ``work_dir/log_name``; update and
    return the record ``work_dir/name`` (``fields`` are stored in it too)."""
    os.makedirs(work_dir, exist_ok=True)
    record = read_record(work_dir, name)
    commit = git_commit() + ('+dirty' if _dirty() else '')
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    with open(osp.join(work_dir, log_name), 'a') as log:
        rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    record.update(fields)
    record.update(
        command=' '.join(c if c != sys.executable else 'python' for c in cmd
                         if c != '--resume'),
        commits=sorted(set(record.get('commits', [])) | {commit}), rc=rc,
        wall_min=record.get('wall_min', 0.0) + (time.time() - start) / 60,
        cpu_min=record.get('cpu_min', 0.0) + cpu / 60,
        hardware=f'{cpu_model()}, {os.cpu_count()} cores',
        environment=', '.join(f'{k} {v}' for k, v in environment_info().items()
                              if k != 'git_commit'),
        finished=datetime.datetime.now().isoformat(timespec='seconds'))
    with open(osp.join(work_dir, name), 'w') as f:
        json.dump(record, f, indent=1)
    return record
