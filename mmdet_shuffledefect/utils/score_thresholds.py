"""Score thresholds of a line alarm: one for every class, or one per class.

A detector's scores are not alike across classes: the RTMDet head's quality-aware scores
are low where its boxes agree little with the annotator's (crazing), so one threshold that
suits patches (0.3) flags crazing on a third of the pictures that hold it (val split,
``results/recipe_ablation.md``). Thresholds chosen on one model's scores belong to that
model, so every published detector checkpoint carries its own
(``meta['inspection_score_thr']``, chosen on the val split by
``tools/analysis_tools/choose_score_thr.py`` and written by its ``--write-checkpoint`` or by
``tools/model_converters/publish_model.py --score-thr``; the ONNX export keeps them).
:func:`resolve` picks what a tool applies: ``--score-thr`` where given, else a config's
``inspection_score_thr`` (a number, or a class -> threshold dict for exactly the model's
classes; thresholds for other classes are set aside, said), else the checkpoint's, else
:data:`DEFAULT_SCORE_THR`, and says which in one line.

Example:
    >>> per_class(dict(crazing=0.2, patches=0.3), ('crazing', 'patches')).tolist()
    [0.2, 0.3]
    >>> describe(per_class(0.3, ('crazing', 'patches')), ('crazing', 'patches'))
    '0.3'
    >>> parse_spec('crazing=0.15,patches=0.5')
    {'crazing': 0.15, 'patches': 0.5}
"""
from typing import Dict, Optional, Sequence, Tuple, Union

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


def fits(score_thr: ScoreThr, classes: Sequence[str]) -> bool:
    """Whether ``score_thr`` gives a valid threshold for exactly ``classes``."""
    try:
        per_class(score_thr, classes)
    except (ValueError, TypeError):
        return False
    return True


def resolve(classes: Sequence[str], given: Optional[ScoreThr] = None,
            config_value: Optional[ScoreThr] = None, carried: Optional[ScoreThr] = None,
            config_name: Optional[str] = None, checkpoint_name: Optional[str] = None
            ) -> Tuple[np.ndarray, str]:
    """The thresholds a tool applies to a model with ``classes``, and where they come from.

    Order: ``given`` (``--score-thr`` or the API's ``score_thr``), else ``config_value`` (a
    config's ``inspection_score_thr``) where it fits the classes, else ``carried`` (the
    checkpoint's own), else :data:`DEFAULT_SCORE_THR`. A config's per-class thresholds for
    other classes (a NEU config used for a model trained on a plant's own classes) are set
    aside and the source says so; they are never applied.

    Args:
        classes (Sequence[str]): The model's classes.
        given (optional): Thresholds given explicitly; they must fit.
        config_value (optional): The config's ``inspection_score_thr``.
        carried (optional): The checkpoint's ``meta['inspection_score_thr']``.
        config_name (str, optional): The config's file, for the source text.
        checkpoint_name (str, optional): The checkpoint's file, for the source text.

    Returns:
        tuple: One threshold per class (array) and a one-line source text.

    Raises:
        ValueError: ``given`` or ``carried`` does not fit ``classes`` (naming which).

    Example:
        >>> thr, source = resolve(('hole', 'scale'), config_value={'crazing': 0.2})
        >>> thr.tolist()
        [0.3, 0.3]
        >>> print(source.split('; ')[0])
        the default (neither checkpoint nor config gives one)
    """
    config = "the config's inspection_score_thr" + (f' ({config_name})' if config_name else '')
    own = "the checkpoint's own" + (f' ({checkpoint_name})' if checkpoint_name else '')
    notes = []
    if config_value is not None and given is None and not fits(config_value, classes):
        notes.append(f'{config} names other classes ({describe_value(config_value)}) and is '
                     'not used')
        config_value = None
    if given is not None:
        value, source = given, '--score-thr'
    elif config_value is not None:
        value, source = config_value, config
    elif carried is not None:
        value, source = carried, own
    else:
        value, source = DEFAULT_SCORE_THR, 'the default (neither checkpoint nor config gives one)'
        notes.append('choose per-class ones on your val split: '
                     'tools/analysis_tools/choose_score_thr.py ... --write-checkpoint OUT.pth')
    if carried is not None and value is not carried:
        notes.append(f'over {own}')
    try:
        thresholds = per_class(value, classes)
    except ValueError as err:
        raise ValueError(f'score thresholds from {source}: {err}') from None
    return thresholds, '; '.join([source] + notes)


def describe_value(score_thr: ScoreThr) -> str:
    """A short text of a threshold value as written (a number or the classes it names)."""
    if isinstance(score_thr, dict):
        return 'classes ' + ', '.join(sorted(map(str, score_thr)))
    return repr(score_thr)


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
