"""Score thresholds of a line alarm: one for every class, or one per class.

A detector's scores are not alike across classes: the RTMDet head's quality-aware scores
are low where its boxes agree little with the annotator's (crazing), so one threshold that
suits patches (0.3) flags crazing on a third of the pictures that hold it (val split,
``results/recipe_ablation.md``). A config may therefore carry its own
``inspection_score_thr``: a number, or a dict of class name -> threshold, chosen on the val
split by ``tools/analysis_tools/choose_score_thr.py``. Thresholds chosen on one model's scores
belong to that model, so a checkpoint can carry them too (``meta['inspection_score_thr']``,
written by ``tools/model_converters/publish_model.py --score-thr``, and kept by the ONNX export).
The inspection tools use ``--score-thr`` where given, else the checkpoint's, else the
config's, else :data:`DEFAULT_SCORE_THR`.

Example:
    >>> per_class(dict(crazing=0.2, patches=0.3), ('crazing', 'patches')).tolist()
    [0.2, 0.3]
    >>> describe(per_class(0.3, ('crazing', 'patches')), ('crazing', 'patches'))
    '0.3'
    >>> parse_spec('crazing=0.15,patches=0.5')
    {'crazing': 0.15, 'patches': 0.5}
"""
from typing import Dict, Sequence, Union

import numpy as np

#: the threshold where neither ``--score-thr``, the checkpoint nor the config gives one
DEFAULT_SCORE_THR = 0.3

#: the key of a checkpoint's ``meta`` (and of an exported file's metadata) that holds them
META_KEY = 'inspection_score_thr'

ScoreThr = Union[float, Dict[str, float], Sequence[float]]


def per_class(score_thr: ScoreThr, classes: Sequence[str]) -> np.ndarray:
    """One threshold per class index from a number, a class -> number dict or a sequence.

    Raises:
        ValueError: a threshold outside [0, 1], a dict that misses or names an unknown
            class, or a sequence of another length than ``classes``.
    """
    if isinstance(score_thr, dict):
        unknown = sorted(set(score_thr) - set(classes))
        missing = [c for c in classes if c not in score_thr]
        if unknown or missing:
            raise ValueError(f'score thresholds per class: unknown {unknown}, missing '
                             f'{missing}; expected one for each of {list(classes)}')
        values = [score_thr[c] for c in classes]
    elif isinstance(score_thr, (int, float)):
        values = [score_thr] * len(classes)
    else:
        values = list(score_thr)
        if len(values) != len(classes):
            raise ValueError(f'{len(values)} score thresholds for {len(classes)} classes')
    bad = [v for v in values if not isinstance(v, (int, float)) or not 0 <= v <= 1]
    if bad:
        raise ValueError(f'score thresholds must be in [0, 1], got {bad} in {score_thr!r}')
    return np.asarray(values, np.float64)


def is_uniform(thresholds: np.ndarray) -> bool:
    """Whether every class has the same threshold (true for no classes)."""
    return len(set(np.asarray(thresholds).tolist())) <= 1


def describe(thresholds: np.ndarray, classes: Sequence[str]) -> str:
    """``'0.3'`` when every class has the same threshold, else ``'crazing=0.2,...'``."""
    if is_uniform(thresholds):
        return f'{thresholds[0]:g}' if len(thresholds) else f'{DEFAULT_SCORE_THR:g}'
    return ','.join(f'{c}={t:g}' for c, t in zip(classes, thresholds))


def as_record(thresholds: np.ndarray, classes: Sequence[str]) -> Union[float, Dict[str, float]]:
    """A number when uniform, else a class -> threshold dict (for JSON summaries)."""
    if is_uniform(thresholds):
        return float(thresholds[0]) if len(thresholds) else DEFAULT_SCORE_THR
    return {c: float(t) for c, t in zip(classes, thresholds)}


def parse_spec(text: str) -> ScoreThr:
    """The command-line form: one number (``'0.3'``) or ``'class=threshold,...'`` (what
    :func:`describe` writes) as a number or a class -> threshold dict.

    Raises:
        ValueError: Naming the part that is neither a number nor ``class=number``, or a
            class given twice. The range is checked by :func:`per_class`.
    """
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    out: Dict[str, float] = {}
    for part in text.split(','):
        name, sep, value = part.partition('=')
        name = name.strip()
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or not name or number is None:
            raise ValueError(f"score thresholds {text!r}: {part!r} is not 'class=number'; "
                             "expected one number or 'crazing=0.15,inclusion=0.2,...'")
        if name in out:
            raise ValueError(f'score thresholds {text!r}: {name!r} is given twice')
        out[name] = number
    return out
