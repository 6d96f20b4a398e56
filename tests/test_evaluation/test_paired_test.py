"""McNemar's exact test and the paired 2x2 table (evaluation/paired_test.py)."""
import pytest

from mmdet_shuffledefect.evaluation import mcnemar_exact, paired_counts


def test_mcnemar_exact_known_values():
    # all 5 discordant pictures on one side: 2 * (1/2)^5
    assert mcnemar_exact(0, 5) == pytest.approx(0.0625)
    assert mcnemar_exact(5, 0) == pytest.approx(0.0625)
    # 1 against 10: 2 * (C(11,0) + C(11,1)) / 2^11
    assert mcnemar_exact(1, 10) == pytest.approx(2 * 12 / 2048)
    assert mcnemar_exact(3, 3) == 1.0 and mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(0, 1) == 1.0


def test_mcnemar_exact_rejects_negative_counts():
    with pytest.raises(ValueError, match='discordant counts must be >= 0, got -1 and 2'):
        mcnemar_exact(-1, 2)


def test_paired_counts_table():
    a = dict(p1=True, p2=True, p3=False, p4=False, p5=True)
    b = dict(p1=True, p2=False, p3=True, p4=False, p5=False)
    c = paired_counts(a, b)
    assert (c['both'], c['only_a'], c['only_b'], c['neither']) == (1, 2, 1, 1)
    assert (c['errors_a'], c['errors_b']) == (2, 3)
    assert c['p_value'] == pytest.approx(mcnemar_exact(2, 1))


def test_paired_counts_needs_the_same_pictures():
    with pytest.raises(ValueError, match=r"1 only in A \(e.g. \['x'\]\), 0 only in B"):
        paired_counts(dict(x=True, y=True), dict(y=True))
