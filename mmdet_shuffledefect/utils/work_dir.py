"""Which checkpoint of a training work dir is the best on val, and which the latest.

mmengine's ``CheckpointHook(save_best=...)`` writes ``best_<metric>_epoch_N.pth`` and deletes
the previous best file when a better one comes; it records the current best's path and score
in the runtime info of every checkpoint it writes afterwards. After a ``--resume`` that record
can be lost for the file written before the resume, and that stale best file stays beside the
real one (seen on this project: ``best_..._epoch_20.pth`` beside ``best_..._epoch_110.pth``).
Sorting the names then picks the wrong one (``'epoch_20' > 'epoch_110'`` as strings).

:func:`best_checkpoint` reads the record of the latest checkpoint (named by mmengine's
``last_checkpoint`` file) and refuses to guess when several best files exist and no record
says which is current.

Example:
    >>> best = best_checkpoint('work_dirs/sdn_rtmdet')   # doctest: +SKIP
    >>> latest_epoch_checkpoint('work_dirs/sdn_rtmdet')  # doctest: +SKIP
    'work_dirs/sdn_rtmdet/epoch_120.pth'
"""
import glob
import os.path as osp
import re
from typing import List, Optional

from mmdet_shuffledefect.compat import load_checkpoint_file

_EPOCH = re.compile(r'epoch_(\d+)\.pth$')


class AmbiguousBestCheckpointError(ValueError):
    """Several ``best_*.pth`` files in one work dir and no record of which is current."""


def _epoch(path: str) -> int:
    match = _EPOCH.search(path)
    return int(match.group(1)) if match else -1


def best_files(work_dir: str) -> List[str]:
    """The ``best_*.pth`` files of ``work_dir``, by epoch number (not by name)."""
    return sorted(glob.glob(osp.join(work_dir, 'best_*.pth')), key=_epoch)


def latest_epoch_checkpoint(work_dir: str) -> Optional[str]:
    """The ``epoch_N.pth`` with the largest N (numerically), or None."""
    epochs = glob.glob(osp.join(work_dir, 'epoch_*.pth'))
    return max(epochs, key=_epoch) if epochs else None


def recorded_best(work_dir: str) -> Optional[str]:
    """The best checkpoint recorded by the latest checkpoint of ``work_dir``, or None.

    The record is an absolute path written at training time; the file name is joined to
    ``work_dir`` so a moved work dir still resolves.
    """
    latest = None
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            name = osp.basename(f.read().strip())
        if name and osp.isfile(osp.join(work_dir, name)):
            latest = osp.join(work_dir, name)
    latest = latest or latest_epoch_checkpoint(work_dir)
    if latest is None:
        return None
    ckpt = load_checkpoint_file(latest, map_location='cpu')
    info = (ckpt.get('message_hub') or {}).get('runtime_info', {}) if isinstance(ckpt, dict) \
        else {}
    path = info.get('best_ckpt')
    if not path:
        return None
    return osp.join(work_dir, osp.basename(path))


def best_checkpoint(work_dir: str) -> Optional[str]:
    """The best-on-val checkpoint of a training work dir, or None if it has none.

    Args:
        work_dir (str): the Runner's work dir.

    Returns:
        str | None: the path of the current best checkpoint.

    Raises:
        AmbiguousBestCheckpointError: several best files and no record naming one of them.
    """
    files = best_files(work_dir)
    if len(files) <= 1:
        return files[0] if files else None
    recorded = recorded_best(work_dir)
    if recorded is not None and osp.isfile(recorded):
        return recorded
    names = ', '.join(osp.basename(f) for f in files)
    raise AmbiguousBestCheckpointError(
        f'{work_dir} holds {len(files)} best checkpoints ({names}) and its latest checkpoint '
        'does not record which one is current (a stale best file left by a resume?): pass '
        'the checkpoint explicitly or remove the stale one')


def stale_best_warning(checkpoint: str) -> Optional[str]:
    """A message when ``checkpoint`` is a best file its work dir no longer records as best."""
    if not osp.basename(checkpoint).startswith('best_'):
        return None
    work_dir = osp.dirname(osp.abspath(checkpoint))
    if len(best_files(work_dir)) <= 1:
        return None
    recorded = recorded_best(work_dir)
    if recorded is None or osp.basename(recorded) == osp.basename(checkpoint):
        return None
    return (f'{checkpoint} is not the current best of its work dir: the latest checkpoint '
            f'records {osp.basename(recorded)} (this file is a stale best left by a resume)')
