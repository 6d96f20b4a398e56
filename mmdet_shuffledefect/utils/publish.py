"""A checkpoint made ready to publish: training state dropped, classes and alarm thresholds
kept in ``meta``, written as ``<name>-<first 8 hex of its sha256>.pth`` (the mmdet rule).

Used by ``tools/model_converters/publish_model.py`` and by
``tools/analysis_tools/choose_score_thr.py --write-checkpoint``.
"""
import os
import os.path as osp
from typing import Optional, Tuple

from mmdet_shuffledefect.compat import load_checkpoint_file
from mmdet_shuffledefect.datasets.neu_classes import NEU_CLASSES
from mmdet_shuffledefect.utils.checkpoint_fit import meta_classes
from mmdet_shuffledefect.utils.file_hash import sha256_file
from mmdet_shuffledefect.utils.score_thresholds import META_KEY, ScoreThr, as_record, per_class

#: what the Runner writes for resuming, not for using the weights
DROPPED = ('optimizer', 'message_hub', 'param_schedulers', 'ema_state_dict')
#: the ``meta`` keys a published checkpoint keeps
KEPT_META = ('epoch', 'iter', 'dataset_meta', 'mmengine_version', 'experiment_name', 'seed',
             META_KEY)


def publish(in_file: str, out_file: str,
            score_thr: Optional[ScoreThr] = None) -> Tuple[str, str]:
    """Write the stripped checkpoint; return its final hashed path and sha256.

    Args:
        in_file (str): Checkpoint written by the Runner (or an already published one).
        out_file (str): Output path; ``-<hash>`` is appended to its name.
        score_thr (float | dict, optional): Alarm thresholds to carry in
            ``meta['inspection_score_thr']``, over any the checkpoint already holds.

    Raises:
        ValueError: Not an mmengine checkpoint, or thresholds that do not fit its classes.
    """
    import torch
    ckpt = load_checkpoint_file(in_file, map_location='cpu')
    if not isinstance(ckpt, dict) or 'state_dict' not in ckpt:
        raise ValueError(f'{in_file} has no state_dict: not an mmengine checkpoint')
    for key in DROPPED:
        ckpt.pop(key, None)
    meta = ckpt.get('meta', {})
    ckpt['meta'] = {k: meta[k] for k in KEPT_META if k in meta}
    if score_thr is not None:
        classes = meta_classes(meta) or list(NEU_CLASSES)
        try:
            thresholds = per_class(score_thr, classes)
        except ValueError as err:
            raise ValueError(f'--score-thr for the classes of {in_file}: {err}')
        ckpt['meta'][META_KEY] = as_record(thresholds, classes)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    tmp = out_file + '.tmp'
    torch.save(ckpt, tmp)
    stem = osp.splitext(out_file)[0]
    digest = sha256_file(tmp)
    final = f'{stem}-{digest[:8]}.pth'
    os.replace(tmp, final)
    return final, digest


__all__ = ['DROPPED', 'KEPT_META', 'publish']
