"""Grouped, stratified k-fold splits (cross-validation over a whole dataset).

* Stratified: each class (stratum) is spread evenly over the folds.
* Grouped: images sharing a group key (byte-identical files such as NEU-CLS's
  ``Pa_101.bmp``/``Pa_105.bmp``, keyed by md5) always land in one fold, so a
  picture is never trained on and tested on in the same fold.
* Seeded: the same names, groups and seed give the same folds.

Example:
    >>> names = [f'Cr_{i}' for i in range(1, 7)] + [f'Sc_{i}' for i in range(1, 7)]
    >>> folds = grouped_stratified_folds(names, 3, strata={n: n[:2] for n in names})
    >>> [len(f) for f in folds]
    [4, 4, 4]
    >>> parts = fold_parts(folds, 0, val_ratio=0.25)
    >>> len(parts['train']), len(parts['val']), len(parts['test'])
    (6, 2, 4)
"""
import random
from typing import Dict, List, Optional, Sequence

from .splits import grouped_units, split_names


def grouped_stratified_folds(names: Sequence[str], num_folds: int, seed: int = 0,
                             groups: Optional[Dict[str, str]] = None,
                             strata: Optional[Dict[str, str]] = None) -> List[List[str]]:
    """Split ``names`` into ``num_folds`` folds, stratified and grouped.

    Within each stratum the groups are shuffled with ``seed`` and each goes to
    the fold holding the fewest images of that stratum so far (ties: the fold
    with the fewest images overall, then the lowest index).

    Args:
        names (Sequence[str]): Image stems.
        num_folds (int): Number of folds, at least 2.
        seed (int): Shuffling seed. Defaults to 0.
        groups (dict, optional): stem -> group key; stems sharing a key stay in
            one fold (in the stratum of the group's first stem). Defaults to None.
        strata (dict, optional): stem -> stratum. Defaults to None: the file-name
            class (``Cr_17`` -> ``Cr``, ``crazing_17`` -> ``crazing``).

    Returns:
        list[list[str]]: ``num_folds`` sorted lists of stems.

    Raises:
        ValueError: ``num_folds`` < 2, duplicate names, or a stratum with fewer
            groups than folds (a fold would miss that class).
    """
    if num_folds < 2:
        raise ValueError(f'--folds must be at least 2, got {num_folds}')
    by_stratum = {key: [units[k] for k in sorted(units)]
                  for key, units in grouped_units(names, groups, strata).items()}
    smallest = min(by_stratum, key=lambda s: (len(by_stratum[s]), s))
    if len(by_stratum[smallest]) < num_folds:
        raise ValueError(
            f'--folds {num_folds} is more than class {smallest!r} has groups of images '
            f'({len(by_stratum[smallest])}); use at most {len(by_stratum[smallest])} folds')
    rng = random.Random(seed)
    folds: List[List[str]] = [[] for _ in range(num_folds)]
    for key in sorted(by_stratum):
        units = list(by_stratum[key])
        rng.shuffle(units)
        count = [0] * num_folds
        for unit in units:
            target = min(range(num_folds), key=lambda f: (count[f], len(folds[f]), f))
            folds[target] += unit
            count[target] += len(unit)
    return [sorted(f) for f in folds]


def fold_parts(folds: Sequence[Sequence[str]], index: int, val_ratio: float = 0.1,
               seed: int = 0, groups: Optional[Dict[str, str]] = None,
               strata: Optional[Dict[str, str]] = None) -> Dict[str, List[str]]:
    """Train, val and test stems of fold ``index``: test is the fold itself; the
    other folds are split into train and a stratified, grouped ``val_ratio``
    held out for choosing the checkpoint.

    Raises:
        ValueError: ``index`` out of range or ``val_ratio`` outside [0, 1).
    """
    if not 0 <= index < len(folds):
        raise ValueError(f'fold index must be in [0, {len(folds) - 1}], got {index}')
    if not 0.0 <= val_ratio < 1.0:
        raise ValueError(f'val_ratio must be in [0, 1), got {val_ratio}')
    rest = [n for i, fold in enumerate(folds) if i != index for n in fold]
    parts = split_names(rest, ratios=(1.0 - val_ratio, val_ratio, 0.0), seed=seed,
                        groups=groups, strata=strata)
    return {'train': parts['train'], 'val': parts['val'], 'test': sorted(folds[index])}
