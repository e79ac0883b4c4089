"""Rater agreement checked against scikit-learn's kappa and an ICC computed
independently here (two-way ANOVA by least squares with numpy)."""

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from netdesk.assessments.agreement import icc_two_way, weighted_kappa

PAIRS = [
    ([1, 2, 3, 4, 5, 3, 2], [1, 3, 3, 5, 4, 2, 2]),
    ([2, 2, 3, 3, 4, 4], [2, 3, 3, 4, 4, 5]),
    # A category nobody used (2) must still keep its distance on the scale.
    ([1, 3, 3, 4, 5, 5, 1], [1, 3, 4, 4, 5, 4, 3]),
    ([5, 4, 3, 2, 1], [1, 2, 3, 4, 5]),
]


@pytest.mark.parametrize(("first", "second"), PAIRS)
@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_weighted_kappa_matches_scikit_learn(first, second, weights):
    ours = weighted_kappa(first, second, weights=weights)
    theirs = cohen_kappa_score(first, second, weights=weights, labels=[1, 2, 3, 4, 5])
    assert ours.value == pytest.approx(theirs)
    assert ours.reason == ""


def test_weighted_kappa_by_hand():
    # Ratings (1,1), (2,3), (3,3): observed quadratic disagreement = 1/3.
    # Marginals A = (1/3, 1/3, 1/3), B = (1/3, 0, 2/3) on 1, 2, 3; expected
    # = Σ (i−j)² a_i b_j over (1,1) 0, (1,3) 4·2, (2,1) 1, (2,3) 1·2,
    # (3,1) 4, (3,3) 0, each /9: 15/9. κ = 1 − (1/3)/(15/9) = 0.8
    assert weighted_kappa([1, 2, 3], [1, 3, 3]).value == pytest.approx(0.8)


def test_weighted_kappa_degenerate_cases():
    same = weighted_kappa([3, 3, 3], [3, 3, 3])
    assert same.value is None
    assert "no variance" in same.reason
    one = weighted_kappa([3], [4])
    assert one.value is None
    assert "at least 2" in one.reason
    with pytest.raises(ValueError, match="same items"):
        weighted_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="outside the scale"):
        weighted_kappa([0, 2], [1, 2])


def anova_icc(matrix):
    """ICC(2,1) and ICC(2,k) from mean squares found by fitting nested
    linear models with numpy (a different route from the closed sums)."""
    y = np.asarray(matrix, dtype=float)
    n, k = y.shape
    values = y.reshape(-1)
    rows = np.kron(np.eye(n), np.ones((k, 1)))
    cols = np.kron(np.ones((n, 1)), np.eye(k))
    ones = np.ones((n * k, 1))

    def residual(design):
        coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
        return float(((values - design @ coefficients) ** 2).sum())

    ss_total = residual(ones)
    ss_error = residual(np.hstack([rows, cols]))
    ss_rows = ss_total - residual(rows)  # what fitting the items explains
    ss_cols = ss_total - residual(cols)
    msr, msc = ss_rows / (n - 1), ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    single = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    average = (msr - mse) / (msr + (msc - mse) / n)
    return single, average


MATRICES = [
    # Shrout & Fleiss (1979), table 2: ICC(2,1) = .29, ICC(2,4) = .62.
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    [[1, 2, 2], [3, 3, 4], [5, 4, 5], [2, 2, 3], [4, 5, 5]],
    [[1, 2], [2, 2], [3, 5], [4, 4]],
]


@pytest.mark.parametrize("matrix", MATRICES)
def test_icc_matches_an_independent_anova(matrix):
    icc = icc_two_way(matrix)
    single, average = anova_icc(matrix)
    assert icc.single.value == pytest.approx(single)
    assert icc.average.value == pytest.approx(average)


def test_icc_published_example():
    icc = icc_two_way(MATRICES[0])
    assert icc.single.value is not None
    assert icc.average.value is not None
    assert round(icc.single.value, 2) == 0.29
    assert round(icc.average.value, 2) == 0.62


def test_icc_degenerate_cases():
    flat = icc_two_way([[3, 3], [3, 3], [3, 3]])
    assert flat.single.value is None
    assert "no variance" in flat.single.reason
    small = icc_two_way([[1, 2, 3]])
    assert small.single.value is None
    assert "at least 2" in small.average.reason
    with pytest.raises(ValueError, match="every rater"):
        icc_two_way([[1, 2], [3]])
