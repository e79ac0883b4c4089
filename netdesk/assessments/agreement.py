"""How far assessors agree when they rate the same indicators: weighted
Cohen's kappa for two raters, the intraclass correlation otherwise.

Pure arithmetic. Each statistic answers either a value or None with the
reason (too few items, no variance), never a division by zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any, Literal

SCALE = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Statistic:
    value: float | None
    reason: str = ""

    def as_json(self) -> dict[str, float | str | None]:
        return {
            "value": None if self.value is None else round(self.value, 4),
            "reason": self.reason,
        }


def weighted_kappa(
    first: Sequence[int],
    second: Sequence[int],
    *,
    weights: Literal["linear", "quadratic"] = "quadratic",
    categories: Sequence[int] = SCALE,
) -> Statistic:
    """Cohen's kappa with disagreement weights |i − j| (linear) or (i − j)²
    (quadratic) between the categories' positions on the scale:
    κ = 1 − Σ w·observed / Σ w·expected, expected from the two raters'
    marginal distributions. The categories are the whole anchored scale, so
    a rating nobody gave still keeps its distance."""
    if len(first) != len(second):
        raise ValueError("both raters must rate the same items")
    if len(first) < 2:
        return Statistic(None, f"{len(first)} item rated by both; at least 2 are needed")
    position = {category: index for index, category in enumerate(categories)}
    unknown = {r for r in (*first, *second) if r not in position}
    if unknown:
        raise ValueError(f"ratings outside the scale: {sorted(unknown)}")
    size = len(categories)
    n = len(first)
    observed = [[0.0] * size for _ in range(size)]
    for a, b in zip(first, second, strict=True):
        observed[position[a]][position[b]] += 1 / n
    rows = [sum(observed[i]) for i in range(size)]
    cols = [sum(observed[i][j] for i in range(size)) for j in range(size)]
    power = 1 if weights == "linear" else 2
    disagreement_observed = 0.0
    disagreement_expected = 0.0
    for i in range(size):
        for j in range(size):
            weight = abs(i - j) ** power
            disagreement_observed += weight * observed[i][j]
            disagreement_expected += weight * rows[i] * cols[j]
    if disagreement_expected == 0:
        return Statistic(None, "no variance: both raters gave one and the same rating throughout")
    return Statistic(1 - disagreement_observed / disagreement_expected)


@dataclass(frozen=True)
class Icc:
    single: Statistic  # ICC(2,1): how far one rater's rating can be trusted
    average: Statistic  # ICC(2,k): the mean of the k raters' ratings


def icc_two_way(matrix: Sequence[Sequence[float]]) -> Icc:
    """Two-way random effects, absolute agreement (Shrout & Fleiss ICC(2,1)
    and ICC(2,k); McGraw & Wong's ICC(A,1) and ICC(A,k)) on a complete
    items × raters matrix:

        ICC(2,1) = (MSR − MSE) / (MSR + (k − 1)·MSE + k·(MSC − MSE)/n)
        ICC(2,k) = (MSR − MSE) / (MSR + (MSC − MSE)/n)

    with MSR, MSC and MSE the mean squares of items (rows), raters
    (columns) and the residual."""
    n = len(matrix)
    k = len(matrix[0]) if n else 0
    if any(len(row) != k for row in matrix):
        raise ValueError("every item needs a rating from every rater")
    if n < 2 or k < 2:
        why = Statistic(None, f"{n} items × {k} raters; at least 2 × 2 are needed")
        return Icc(why, why)
    grand = fmean(x for row in matrix for x in row)
    row_means = [fmean(row) for row in matrix]
    col_means = [fmean(row[j] for row in matrix) for j in range(k)]
    ss_rows = k * sum((m - grand) ** 2 for m in row_means)
    ss_cols = n * sum((m - grand) ** 2 for m in col_means)
    ss_total = sum((x - grand) ** 2 for row in matrix for x in row)
    ss_error = ss_total - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    single_denominator = msr + (k - 1) * mse + k * (msc - mse) / n
    average_denominator = msr + (msc - mse) / n
    if ss_total == 0:
        why = Statistic(None, "no variance: every rating is the same")
        return Icc(why, why)
    return Icc(
        Statistic((msr - mse) / single_denominator)
        if single_denominator
        else Statistic(None, "no variance between items"),
        Statistic((msr - mse) / average_denominator)
        if average_denominator
        else Statistic(None, "no variance between items"),
    )


def agreement_report(items: Iterable[Mapping[int, int]]) -> dict[str, Any]:
    """Agreement over rated items, each given as assessor id → score.

    Kappa needs the same two raters on every item and the ICC a full items ×
    raters table, so the report uses the set of assessors who together rated
    the most items (the larger set on a tie) and the items they all rated;
    `items_left_out` counts the other items rated more than once. With two
    assessors it gives both kappas and the ICC, with more the ICC only."""
    multiple = [raters for raters in items if len(raters) >= 2]
    if not multiple:
        return {
            "raters": [],
            "items": 0,
            "items_left_out": 0,
            "kappa_quadratic": None,
            "kappa_linear": None,
            "icc_single": None,
            "icc_average": None,
            "reason": "no indicator was rated by two assessors",
        }

    def coverage(raters: frozenset[int]) -> tuple[int, int]:
        return (sum(1 for r in multiple if raters <= r.keys()), len(raters))

    candidates: set[frozenset[int]] = {frozenset(r.keys()) for r in multiple}
    best = max(candidates, key=coverage)
    raters = sorted(best)
    block = [r for r in multiple if set(raters) <= r.keys()]
    matrix = [[r[a] for a in raters] for r in block]
    icc = icc_two_way(matrix)
    report: dict[str, Any] = {
        "raters": raters,
        "items": len(block),
        "items_left_out": len(multiple) - len(block),
        "kappa_quadratic": None,
        "kappa_linear": None,
        "icc_single": icc.single.as_json(),
        "icc_average": icc.average.as_json(),
        "reason": "",
    }
    if len(raters) == 2:
        first = [row[0] for row in matrix]
        second = [row[1] for row in matrix]
        report["kappa_quadratic"] = weighted_kappa(first, second, weights="quadratic").as_json()
        report["kappa_linear"] = weighted_kappa(first, second, weights="linear").as_json()
    return report
