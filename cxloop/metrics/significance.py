"""Is a change a change? Tests of the difference between two independent samples of a CX metric.

The dashboards call a figure "up" or "down" only when the test below says the difference is unlikely to be
noise (p < 0.05, two-sided) and neither side has too few answers. Every function takes the counts and sums a
database aggregated (no rows) and returns a `Difference`: current − baseline, its 95% interval, the p-value
and the name of the test, which pages print beside the figure.

- NPS and the sentiment index (scores +1/0/−1): a two-sample z-test on the mean of the +1/0/−1 score with
  unpooled variances, and the adjusted-Wald interval of the difference (Rocks 2016, stats.nps_difference).
- Proportions (CSAT top-2-box, theme share): the pooled two-proportion z-test, and Newcombe's hybrid score
  interval of the difference (Newcombe 1998, method 10), built from the two Wilson intervals.
- Means (CES, ratings): Welch's t-test with Welch–Satterthwaite degrees of freedom, and its t interval.
- Volumes of two periods of the same length: the exact conditional test of two Poisson counts (given the
  total, the current count is Binomial(total, 1/2) when the rates are equal), with a normal interval of the
  difference (±z·√(c₁ + c₂)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import stats

ALPHA = 0.05

NPS_TEST = "two-sample z-test on the +1/0/−1 score"
PROPORTION_TEST = "two-proportion z-test"
MEAN_TEST = "Welch's t-test"
COUNT_TEST = "exact test of two Poisson counts"


@dataclass(frozen=True)
class Difference:
    value: float | None  # current − baseline, in the metric's units (points for NPS and shares)
    low: float | None
    high: float | None
    p_value: float | None
    test: str


def _two_sided_normal(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def _none(test: str) -> Difference:
    return Difference(None, None, None, None, test)


def nps_change(before: stats.NPS, after: stats.NPS) -> Difference:
    """NPS (or sentiment index) after − before, in points."""
    if before.n == 0 or after.n == 0:
        return _none(NPS_TEST)
    interval = stats.nps_difference(before, after)

    def variance(s: stats.NPS) -> float:
        p, d = s.promoters / s.n, s.detractors / s.n
        return (p + d - (p - d) ** 2) / s.n

    se = math.sqrt(variance(before) + variance(after))
    diff = (after.value - before.value) / 100.0
    # both samples all one kind: the difference is exact
    p_value = (1.0 if diff == 0 else 0.0) if se == 0.0 else _two_sided_normal(diff / se)
    return Difference(interval.value, interval.low, interval.high, p_value, NPS_TEST)


def proportion_change(good_before: int, n_before: int, good_after: int, n_after: int) -> Difference:
    """A share after − before, in percentage points."""
    if n_before == 0 or n_after == 0:
        return _none(PROPORTION_TEST)
    p1, p2 = good_before / n_before, good_after / n_after
    w1, w2 = stats.wilson(good_before, n_before), stats.wilson(good_after, n_after)
    diff = p2 - p1
    low = diff - math.sqrt((p2 - w2.low) ** 2 + (w1.high - p1) ** 2)
    high = diff + math.sqrt((w2.high - p2) ** 2 + (p1 - w1.low) ** 2)
    pooled = (good_before + good_after) / (n_before + n_after)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_before + 1.0 / n_after))
    p_value = (1.0 if diff == 0 else 0.0) if se == 0.0 else _two_sided_normal(diff / se)
    return Difference(100.0 * diff, 100.0 * low, 100.0 * high, p_value, PROPORTION_TEST)


def mean_change(
    n_before: int, mean_before: float | None, var_before: float | None,
    n_after: int, mean_after: float | None, var_after: float | None,
) -> Difference:  # fmt: skip
    """A mean after − before. Needs two answers on each side (a variance)."""
    if n_before < 2 or n_after < 2 or mean_before is None or mean_after is None:
        return _none(MEAN_TEST)
    from scipy.stats import t as student_t

    diff = mean_after - mean_before
    a, b = (var_before or 0.0) / n_before, (var_after or 0.0) / n_after
    se = math.sqrt(a + b)
    if se == 0.0:
        return Difference(diff, diff, diff, 1.0 if diff == 0 else 0.0, MEAN_TEST)
    df = (a + b) ** 2 / (a * a / (n_before - 1) + b * b / (n_after - 1))
    half = float(student_t.ppf(1.0 - ALPHA / 2.0, df)) * se
    p_value = float(2.0 * student_t.sf(abs(diff) / se, df))
    return Difference(diff, diff - half, diff + half, p_value, MEAN_TEST)


def count_change(before: int, after: int) -> Difference:
    """Items in a period after − the same length before."""
    total = before + after
    if total == 0:
        return Difference(0.0, None, None, None, COUNT_TEST)
    from scipy.stats import binomtest

    p_value = float(binomtest(after, total, 0.5).pvalue)
    half = stats.z_quantile(1.0 - ALPHA / 2.0) * math.sqrt(total)
    diff = float(after - before)
    return Difference(diff, diff - half, diff + half, p_value, COUNT_TEST)
