"""Read what ``tools/test.py --out FILE.pkl`` dumped (mmdet's ``DumpDetResults``).

The analysis tools that score a split's predictions again (error anatomy, the box-convention
study) read the dump through :func:`load_prediction_dump`, which names the file and what was
expected when it is not such a dump, and turn it into numpy arrays once with
:func:`prediction_arrays`.
"""
import os.path as osp
from typing import List, Tuple

import numpy as np


def load_prediction_dump(path: str) -> List[dict]:
    """The list of per-picture dicts in ``path``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` cannot be read as a pickle, or holds something other than a
            list of dicts with ``img_id`` and ``pred_instances``; the message names the file.
    """
    from mmengine.fileio import load
    if not osp.isfile(path):
        raise FileNotFoundError(f'predictions file {path} does not exist')
    try:
        preds = load(path, file_format='pkl')
    except Exception as err:  # noqa: BLE001  (any unreadable file gets the same message)
        raise ValueError(f'{path} is not a predictions dump of tools/test.py --out '
                         f'({type(err).__name__}: {err})') from err
    if not isinstance(preds, list) or not all(
            isinstance(p, dict) and 'img_id' in p and 'pred_instances' in p for p in preds):
        raise ValueError(f'{path} is not a predictions dump of tools/test.py --out: expected '
                         'a list of dicts with img_id and pred_instances')
    return preds


def prediction_arrays(preds: List[dict]) -> List[Tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """``(picture, labels, scores, boxes)`` per dumped picture, as numpy arrays."""
    return [(str(p['img_id']), *(np.asarray(p['pred_instances'][k])
                                 for k in ('labels', 'scores', 'bboxes'))) for p in preds]
