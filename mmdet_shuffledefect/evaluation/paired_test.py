"""Paired comparison of two classifiers tested on the same pictures (McNemar's test).

Two models that each make a handful of errors in 1800 pictures are "ahead" of one another
only if the pictures where exactly one of them is wrong lean to one side by more than
chance: McNemar's exact test counts those discordant pictures and asks how likely so
lopsided a split is when either model is as likely to be the one that is wrong.
"""
from math import comb
from typing import Dict, Mapping


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value (a binomial test of the discordant pairs).

    Args:
        only_a (int): Pictures only model A classifies right (B wrong).
        only_b (int): Pictures only model B classifies right (A wrong).

    Returns:
        float: The probability, if A and B were equally accurate, of a split of the
        ``only_a + only_b`` discordant pictures at least as uneven as this one; 1.0 when
        there are none.

    Raises:
        ValueError: A count is negative.

    Example:
        >>> mcnemar_exact(0, 5)
        0.0625
        >>> mcnemar_exact(3, 3)
        1.0
    """
    if only_a < 0 or only_b < 0:
        raise ValueError(f'discordant counts must be >= 0, got {only_a} and {only_b}')
    total = only_a + only_b
    if total == 0:
        return 1.0
    tail = sum(comb(total, k) for k in range(min(only_a, only_b) + 1)) / 2 ** total
    return min(1.0, 2.0 * tail)


def paired_counts(right_a: Mapping[str, bool], right_b: Mapping[str, bool]) -> Dict[str, int]:
    """The 2x2 table of two models' per-picture outcomes and McNemar's p-value.

    Args:
        right_a (Mapping[str, bool]): Picture name -> whether model A classified it right.
        right_b (Mapping[str, bool]): The same for model B, over the same pictures.

    Returns:
        dict: ``both``, ``only_a``, ``only_b``, ``neither`` (picture counts), ``errors_a``,
        ``errors_b`` and ``p_value`` (:func:`mcnemar_exact`).

    Raises:
        ValueError: The two models were not tested on the same pictures.
    """
    missing_b = sorted(set(right_a) - set(right_b))
    missing_a = sorted(set(right_b) - set(right_a))
    if missing_a or missing_b:
        raise ValueError(
            f'the two models were not tested on the same pictures: {len(missing_b)} only '
            f'in A (e.g. {missing_b[:3]}), {len(missing_a)} only in B (e.g. {missing_a[:3]})')
    counts = dict(both=0, only_a=0, only_b=0, neither=0)
    for name, a in right_a.items():
        b = right_b[name]
        key = 'both' if a and b else 'only_a' if a else 'only_b' if b else 'neither'
        counts[key] += 1
    counts['errors_a'] = counts['only_b'] + counts['neither']
    counts['errors_b'] = counts['only_a'] + counts['neither']
    counts['p_value'] = mcnemar_exact(counts['only_a'], counts['only_b'])
    return counts
