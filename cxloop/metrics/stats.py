"""Statistics of CX metrics with 95% confidence intervals: counts in, intervals out.

Pure Python (no Django, no numpy): the survey results page, its PDF and the dashboards of later issues all
call these with counts they aggregated in the database.

- NPS: the adjusted-Wald interval of Rocks (2016) on the difference of two multinomial proportions.
- Proportions (CSAT top-2-box, CES "easy" share, yes/no): Wilson score interval.
- Means (ratings, numbers, CES): Student t interval, with a t quantile from Hill's (1970) approximation.

Every result carries `n`; `too_few` is true below MIN_N answers, and pages say so instead of showing a
number that means little.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from statistics import NormalDist

MIN_N = 10
CONFIDENCE = 0.95
TOO_FEW = "too few"


# -- quantiles -----------------------------------------------------------------------------------------------
def z_quantile(p: float) -> float:
    """The standard normal quantile: z_quantile(0.975) = 1.95996…"""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be between 0 and 1, got {p}")
    return NormalDist().inv_cdf(p)


def t_quantile(p: float, df: int) -> float:
    """The quantile of Student's t distribution with `df` degrees of freedom: P(T <= t) = p.

    Hill, G. W. (1970), "Algorithm 396: Student's t-quantiles", Communications of the ACM 13(10): exact for
    1 and 2 degrees of freedom, an asymptotic expansion around the normal quantile otherwise (agrees with
    the printed tables to 3 decimals and more).
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be between 0 and 1, got {p}")
    if df < 1 or int(df) != df:
        raise ValueError(f"degrees of freedom must be a whole number of at least 1, got {df}")
    if p == 0.5:
        return 0.0
    upper = p > 0.5
    two_tail = 2.0 * (1.0 - p) if upper else 2.0 * p  # Hill's algorithm takes the two-tailed probability
    t = _hill(two_tail, int(df))
    return t if upper else -t


def _hill(p: float, n: int) -> float:
    """|t| such that P(|T| > t) = p (Hill 1970, algorithm 396)."""
    if n == 1:
        x = p * math.pi / 2.0
        return math.cos(x) / math.sin(x)
    if n == 2:
        return math.sqrt(2.0 / (p * (2.0 - p)) - 2.0)
    a = 1.0 / (n - 0.5)
    b = 48.0 / (a * a)
    c = ((20700.0 * a / b - 98.0) * a - 16.0) * a + 96.36
    d = ((94.5 / (b + c) - 3.0) / b + 1.0) * math.sqrt(a * math.pi / 2.0) * n
    x = d * p
    y = x ** (2.0 / n)
    if y > 0.05 + a:
        # asymptotic inverse expansion about the normal quantile
        x = z_quantile(0.5 * p)  # the lower-tail deviate (negative), as in the algorithm
        y = x * x
        if n < 5:
            c += 0.3 * (n - 4.5) * (x + 0.6)
        c = (((0.05 * d * x - 5.0) * x - 7.0) * x - 2.0) * x + b + c
        y = (((((0.4 * y + 6.3) * y + 36.0) * y + 94.5) / c - y - 3.0) / b + 1.0) * x
        y = math.expm1(a * y * y)
    else:
        y = (
            (1.0 / (((n + 6.0) / (n * y) - 0.089 * d - 0.822) * (n + 2.0) * 3.0) + 0.5 / (n + 4.0)) * y - 1.0
        ) * (n + 1.0) / (n + 2.0) + 1.0 / y
    return math.sqrt(n * y)


# -- results -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """A value with its confidence interval. `low`/`high` are None when there is too little data for an
    interval (no answers, or one answer for a mean); `value` is None when there are no answers."""

    value: float | None
    low: float | None
    high: float | None
    n: int

    @property
    def too_few(self) -> bool:
        return self.n < MIN_N

    @property
    def note(self) -> str:
        return TOO_FEW if self.too_few else ""

    @property
    def margin(self) -> float | None:
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2.0

    def scaled(self, factor: float) -> Estimate:
        """The same estimate in other units (e.g. a share as a percentage)."""

        def s(v: float | None) -> float | None:
            return None if v is None else v * factor

        return Estimate(s(self.value), s(self.low), s(self.high), self.n)


EMPTY = Estimate(None, None, None, 0)


@dataclass(frozen=True)
class NPS(Estimate):
    """A Net Promoter Score in −100..100 points with its interval and the counts it came from."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def promoter_share(self) -> float | None:
        return 100.0 * self.promoters / self.n if self.n else None

    @property
    def detractor_share(self) -> float | None:
        return 100.0 * self.detractors / self.n if self.n else None


@dataclass(frozen=True)
class ScoreSummary:
    """CSAT or CES on its scale: the share of the top answers (percent, Wilson) and the mean (t)."""

    scale: tuple[int, int]
    top: tuple[int, int]
    share: Estimate
    mean: Estimate
    counts: dict[int, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.mean.n


# -- proportions ---------------------------------------------------------------------------------------------
def wilson(successes: int, n: int, confidence: float = CONFIDENCE) -> Estimate:
    """A proportion (0..1) with the Wilson score interval (Wilson 1927), which keeps inside 0..1 and
    behaves at small n and near 0 or 1, where the plain Wald interval does not."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return EMPTY
    z = z_quantile(0.5 + confidence / 2.0)
    p = successes / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z * math.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n)) / (1.0 + z2n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends (no rounding residue)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Estimate(p, low, high, n)


# -- NPS -----------------------------------------------------------------------------------------------------
def nps_category(score: float) -> str:
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


def nps_counts(counts: Mapping[float, int]) -> tuple[int, int, int]:
    """(promoters, passives, detractors) from {score 0..10: how many}."""
    promoters = sum(c for s, c in counts.items() if s >= 9)
    passives = sum(c for s, c in counts.items() if 7 <= s < 9)
    detractors = sum(c for s, c in counts.items() if s < 7)
    return promoters, passives, detractors


def _nps_adjusted(promoters: int, detractors: int, n: int) -> tuple[float, float]:
    """The adjusted-Wald centre (as a proportion difference) and its variance."""
    n_adj = n + 3.0
    p_pro = (promoters + 0.75) / n_adj
    p_det = (detractors + 0.75) / n_adj
    variance = (p_pro * (1.0 - p_pro) + p_det * (1.0 - p_det) + 2.0 * p_pro * p_det) / n_adj
    return p_pro - p_det, variance


def nps(promoters: int, passives: int, detractors: int, confidence: float = CONFIDENCE) -> NPS:
    """NPS = %promoters − %detractors, in −100..100, with a confidence interval.

    Method: adjusted Wald (Rocks 2016, "Interval estimation for the 'Net Promoter Score'", The American
    Statistician 70(4)): add 3/4 of a promoter, 3/4 of a detractor and 3/2 of a passive (n + 3 in all), then
    take the variance of the difference of two proportions of one multinomial sample,
        var = (pP(1 − pP) + pD(1 − pD) + 2·pP·pD) / (n + 3),
    and centre ± z·√var, clamped to [−100, 100]. The reported value is the plain NPS of the sample; the
    adjustment only moves the interval, which then keeps its coverage at small n and at the extremes.
    """
    if min(promoters, passives, detractors) < 0:
        raise ValueError("counts cannot be negative")
    n = promoters + passives + detractors
    if n == 0:
        return NPS(None, None, None, 0)
    value = 100.0 * (promoters - detractors) / n
    centre, variance = _nps_adjusted(promoters, detractors, n)
    half = z_quantile(0.5 + confidence / 2.0) * math.sqrt(variance)
    low = max(-100.0, 100.0 * (centre - half))
    high = min(100.0, 100.0 * (centre + half))
    return NPS(value, low, high, n, promoters=promoters, passives=passives, detractors=detractors)


def nps_from_scores(counts: Mapping[float, int], confidence: float = CONFIDENCE) -> NPS:
    """NPS from {score 0..10: how many answers gave it}."""
    return nps(*nps_counts(counts), confidence=confidence)


def nps_difference(before: NPS, after: NPS, confidence: float = CONFIDENCE) -> Estimate:
    """The change of NPS from `before` to `after` (two independent samples, e.g. two months), in points,
    with an interval: the adjusted-Wald variances of the two samples add up (Rocks 2016, section 4).
    Clamped to [−200, 200]."""
    if before.n == 0 or after.n == 0:
        return Estimate(None, None, None, min(before.n, after.n))
    c_before, v_before = _nps_adjusted(before.promoters, before.detractors, before.n)
    c_after, v_after = _nps_adjusted(after.promoters, after.detractors, after.n)
    half = z_quantile(0.5 + confidence / 2.0) * math.sqrt(v_before + v_after)
    centre = c_after - c_before
    return Estimate(
        after.value - before.value,
        max(-200.0, 100.0 * (centre - half)),
        min(200.0, 100.0 * (centre + half)),
        min(before.n, after.n),
    )


# -- means ---------------------------------------------------------------------------------------------------
def mean_interval(
    n: int, mean: float | None, variance: float | None, confidence: float = CONFIDENCE
) -> Estimate:
    """A mean with the Student t interval, from n, the mean and the sample variance (n − 1 denominator),
    as a database aggregates them."""
    if n <= 0 or mean is None:
        return EMPTY
    if n == 1 or variance is None:
        return Estimate(mean, None, None, n)
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * math.sqrt(max(variance, 0.0) / n)
    return Estimate(mean, mean - half, mean + half, n)


def mean_from_counts(counts: Mapping[float, int], confidence: float = CONFIDENCE) -> Estimate:
    """A mean with its t interval from {value: how many}."""
    n = sum(counts.values())
    if n == 0:
        return EMPTY
    mean = sum(v * c for v, c in counts.items()) / n
    if n == 1:
        return Estimate(mean, None, None, 1)
    variance = sum(c * (v - mean) ** 2 for v, c in counts.items()) / (n - 1)
    return mean_interval(n, mean, variance, confidence)


def mean_from_values(values: Iterable[float], confidence: float = CONFIDENCE) -> Estimate:
    counts: dict[float, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return mean_from_counts(counts, confidence)


# -- CSAT and CES --------------------------------------------------------------------------------------------
def top_box(scale: tuple[int, int]) -> tuple[int, int]:
    """The answers that count as satisfied / easy: the top two points of a 1–5 scale, 6–7 of a 1–7 CSAT.
    (CES on 1–7 counts 5–7 as easy: see ces().)"""
    return (scale[1] - 1, scale[1])


def _score_summary(
    counts: Mapping[float, int], scale: tuple[int, int], top: tuple[int, int], confidence: float
) -> ScoreSummary:
    n = sum(counts.values())
    good = sum(c for s, c in counts.items() if top[0] <= s <= top[1])
    return ScoreSummary(
        scale=scale,
        top=top,
        share=wilson(good, n, confidence).scaled(100.0),
        mean=mean_from_counts(counts, confidence),
        counts={int(s): c for s, c in sorted(counts.items())},
    )


def csat(
    counts: Mapping[float, int], scale: tuple[int, int] = (1, 5), confidence: float = CONFIDENCE
) -> ScoreSummary:
    """CSAT: the percentage of top-2-box answers (4–5 on 1–5, 6–7 on 1–7) with a Wilson interval, and the
    mean score with a t interval."""
    return _score_summary(counts, scale, top_box(scale), confidence)


def ces(
    counts: Mapping[float, int], scale: tuple[int, int] = (1, 7), confidence: float = CONFIDENCE
) -> ScoreSummary:
    """CES: the mean effort score with a t interval, and the percentage of "easy" answers (5–7 on 1–7,
    4–5 on 1–5) with a Wilson interval."""
    lo, hi = scale
    top = (5, 7) if (lo, hi) == (1, 7) else top_box(scale)
    return _score_summary(counts, scale, top, confidence)
