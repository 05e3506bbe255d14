"""Key driver analysis: which themes, answers and customer attributes move NPS or CSAT, and by how much.

`key_drivers(workspace=..., outcome="nps", filters=MetricFilter(...))` reads the selection in five
`values_list` queries (the outcome answers, their customers, the other numeric answers, the themes, the
counted theme mentions) into numpy arrays and fits one least-squares model (200,000 items with 575,000
theme mentions: about 1.4 s on SQLite and 1.9 s on PostgreSQL, most of it the database's fetching):

- Unit: a feedback item with an outcome answer (its first answer of type nps, or csat) in the filter.
  The outcome is the 0–10 score for NPS; for CSAT the score on 0–100 of its scale (1–5 when it has none).
- Candidate drivers: (a) each top-level theme, its sub-themes folded in: 1 when the item has a counted
  (not rejected) mention of it; (b) each answer key of type csat/ces/rating/number answered on at least
  30% of the items, as its value on 0–100 of its scale (items without it get the column mean, counted in
  `imputed`); (c) the customer's plan and segment, one 0/1 column per level, the most frequent level left
  out as the reference. A driver needs MIN_DRIVER_N items with it (0/1 drivers: and some without); the
  MAX_DRIVERS most frequent are kept, each only if it is not (almost) a linear combination of those
  before it.
- Importance: the Shapley decomposition of R² (Lindeman, Merenda & Gold 1980, "LMG"; Grömping 2006):
  R² of every subset of the k drivers from the correlation matrix (2^k small solves, batched), each
  driver's marginal contribution averaged over all orders in which drivers can enter the model. The
  importances add up to the full model's R²; `share` is each one's percentage of it. `direction` is the
  sign of the driver's standardized coefficient in the full model.
- Performance: for a 0/1 driver the outcome among its items (NPS with the adjusted-Wald interval; CSAT
  % top-2-box with Wilson's); for an answer its mean on 0–100 of its scale (t interval).
- The driver matrix: split at the mean importance and the mean performance of the drivers shown.
- Revenue at risk (0/1 drivers): the summed lifetime value of the distinct detractor customers (NPS 0–6;
  CSAT the bottom two points of its scale) among the driver's items; None when no customer of the
  selection has a lifetime value.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field

import numpy as np
from django.db.models import Exists, FloatField, OuterRef, Q
from django.db.models.functions import Cast

from cxloop.analysis.models import Theme, ThemeMention
from cxloop.core.exceptions import ServiceError
from cxloop.customers.models import Customer
from cxloop.feedback.models import Answer

from . import engine, stats

OUTCOMES = ("nps", "csat")
OUTCOME_LABELS = {"nps": "NPS", "csat": "CSAT"}
DRIVER_ANSWER_TYPES = ("csat", "ces", "rating", "number")
DEFAULT_SCALES = {"csat": (1.0, 5.0), "ces": (1.0, 7.0)}  # rating/number without one: the key's own range
MIN_DRIVER_N = 30  # items that must have a driver (0/1 drivers) or answer it (answers)
MIN_ANSWERED_SHARE = 0.30  # an answer key must be answered on this share of the items
MAX_DRIVERS = 15  # 2^15 subsets for the Shapley decomposition
MIN_MODEL_N = 100  # below: computed, flagged too_few
MIN_TOLERANCE = 1e-6  # a driver whose variance the drivers before it explain to 1 − this is left out

QUADRANTS = ("Fix now", "Keep", "Maintain", "Low priority")


@dataclass(frozen=True)
class Driver:
    name: str
    kind: str  # theme | answer | plan | segment
    n_with: int  # items having it (0/1 drivers) or answering it (answers)
    importance: float  # its Shapley share of R² (in R² units)
    share: float | None  # importance as a percentage of R²
    coefficient: float  # standardized coefficient in the full model
    direction: str  # up | down | flat: which way more of it moves the outcome
    performance: float | None
    performance_low: float | None
    performance_high: float | None
    performance_unit: str
    quadrant: str
    revenue_at_risk: float | None
    customers_at_risk: int  # distinct detractor customers with a lifetime value among its items
    imputed: int  # items given the column mean (answers only)
    theme_id: int | None = None
    reference: str = ""  # plan/segment: the level it is compared with

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DriverResult:
    outcome: str
    n: int
    r2: float | None
    adjusted_r2: float | None
    method: str
    drivers: list[Driver]
    too_few: bool
    reason: str = ""
    overall: float | None = None  # the outcome of the whole selection (NPS points / CSAT %)
    overall_low: float | None = None
    overall_high: float | None = None
    mean_importance: float | None = None  # where the matrix splits (share of R², %)
    mean_performance: float | None = None
    revenue_known: bool = False
    left_out: list[str] = field(default_factory=list)  # candidates left out, with why

    @property
    def k(self) -> int:
        return len(self.drivers)


# -- the selection -------------------------------------------------------------------------------------------
def _answer_scope(workspace, filters: engine.MetricFilter) -> Q:
    """The engine's filter semantics on Answer rows (occurred_at and channel are copied onto the answer)."""
    q = Q(workspace=workspace)
    if filters.since:
        q &= Q(occurred_at__gte=filters.since)
    if filters.until:
        q &= Q(occurred_at__lt=filters.until)
    if filters.channel:
        q &= Q(channel=filters.channel)
    if filters.source:
        q &= Q(item__source=filters.source)
    if filters.touchpoint:
        q &= Q(item__touchpoint=filters.touchpoint)
    for name in ("segment", "region", "country", "plan"):  # the customer's columns
        value = getattr(filters, name, "")
        if value:
            q &= Q(**{f"item__customer__{name}": value})
    if filters.sentiment:
        q &= Q(item__enrichment__sentiment=filters.sentiment)
    if filters.theme_id is not None:
        q &= Q(
            Exists(
                ThemeMention.objects.filter(item_id=OuterRef("item_id"), workspace=workspace)
                .exclude(status=ThemeMention.Status.REJECTED)
                .filter(Q(theme_id=filters.theme_id) | Q(theme__parent_id=filters.theme_id))
            )
        )
    return q


def _numbers(rows, width: int) -> np.ndarray:
    """Rows of numbers (None as nan) as a float array of `width` columns; ids stay exact below 2^53."""
    return np.array(rows, dtype=float).reshape(-1, width)


@dataclass
class _Items:
    """The unit of analysis, one entry per item, sorted by item id."""

    ids: np.ndarray  # item ids
    answer_ids: np.ndarray  # the outcome answer's id
    score: np.ndarray  # the outcome: 0–10 (nps) or 0–100 of its scale (csat)
    good: np.ndarray  # promoter (nps) / top-2-box (csat)
    passive: np.ndarray  # nps 7–8
    bad: np.ndarray  # detractor (nps 0–6) / bottom two points (csat)
    customer: np.ndarray  # customer id, −1 for anonymous items
    value: np.ndarray  # the customer's lifetime value, nan when unknown
    attributes: dict[str, tuple[list[str], np.ndarray]]  # plan/segment: (levels, each item's level index)

    @property
    def n(self) -> int:
        return len(self.ids)


def _outcome_items(workspace, outcome: str, filters: engine.MetricFilter) -> _Items:
    answers = Answer.objects.filter(_answer_scope(workspace, filters), type=outcome, value__isnull=False)
    rows = _numbers(
        list(answers.values_list("pk", "item_id", "value", "scale_min", "scale_max", "item__customer_id")), 6
    )
    order = np.lexsort((rows[:, 0], rows[:, 1]))  # the item's first answer: the lowest answer id
    rows = rows[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = rows[1:, 1] != rows[:-1, 1]
    rows = rows[first]
    raw = rows[:, 2]
    if outcome == "nps":
        score = raw
        good, passive, bad = raw >= 9, (raw >= 7) & (raw < 9), raw < 7
    else:
        lo = np.nan_to_num(rows[:, 3], nan=DEFAULT_SCALES["csat"][0])
        hi = np.nan_to_num(rows[:, 4], nan=DEFAULT_SCALES["csat"][1])
        score = 100.0 * (raw - lo) / np.where(hi > lo, hi - lo, 1.0)
        good, bad = raw >= hi - 1, raw <= lo + 1
        passive = ~good & ~bad
    customer = np.where(np.isnan(rows[:, 5]), -1, np.nan_to_num(rows[:, 5])).astype(np.int64)
    # the customers of the selection: their lifetime value, plan and segment (one row per customer)
    people = list(
        Customer.objects.filter(workspace=workspace, pk__in=answers.values("item__customer_id"))
        .annotate(ltv=Cast("lifetime_value", FloatField()))
        .order_by("pk")
        .values_list("pk", "ltv", "plan", "segment")
    )
    ids = np.asarray([p[0] for p in people], dtype=np.int64)
    at = np.clip(np.searchsorted(ids, customer), 0, max(len(ids) - 1, 0))
    known = (customer >= 0) & (ids[at] == customer) if len(ids) else np.zeros(len(customer), dtype=bool)
    ltv = np.asarray([np.nan if p[1] is None else p[1] for p in people], dtype=float)
    value = np.where(known, ltv[at] if len(ids) else np.nan, np.nan)
    attributes = {}
    for column, name in ((2, "plan"), (3, "segment")):
        levels = sorted({p[column] or "" for p in people} | {""})
        index = {level: i for i, level in enumerate(levels)}
        codes = np.asarray([index[p[column] or ""] for p in people], dtype=np.int64)
        attributes[name] = (levels, np.where(known, codes[at] if len(ids) else 0, index[""]))
    return _Items(
        ids=rows[:, 1].astype(np.int64),
        answer_ids=rows[:, 0].astype(np.int64),
        score=score,
        good=good,
        passive=passive,
        bad=bad,
        customer=np.where(known, customer, -1),
        value=value,
        attributes=attributes,
    )


# -- candidate drivers ---------------------------------------------------------------------------------------
@dataclass
class _Candidate:
    name: str
    kind: str
    column: np.ndarray  # float, one value per item
    n_with: int
    binary: bool
    imputed: int = 0
    theme_id: int | None = None
    reference: str = ""
    perf: stats.Estimate | None = None  # answers: the mean on 0–100 of the answered items


def _positions(items: _Items, item_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each row's position among the items, whether its item is one of them)."""
    pos = np.searchsorted(items.ids, item_ids)
    inside = pos < items.n
    inside[inside] &= items.ids[pos[inside]] == item_ids[inside]
    return pos, inside


def _theme_candidates(workspace, filters: engine.MetricFilter, items: _Items) -> list[_Candidate]:
    themes = sorted(Theme.objects.filter(workspace=workspace).values_list("pk", "parent_id", "name"))
    tops = [(pk, name) for pk, parent, name in themes if parent is None]
    if not tops:
        return []
    top_index = {pk: i for i, (pk, _) in enumerate(tops)}
    theme_pks = np.asarray([pk for pk, _, _ in themes], dtype=np.int64)
    top_of = np.asarray([top_index.get(pk if parent is None else parent, -1) for pk, parent, _ in themes])
    mentions = ThemeMention.objects.filter(workspace=workspace).exclude(status=ThemeMention.Status.REJECTED)
    if filters.since:
        mentions = mentions.filter(item__occurred_at__gte=filters.since)
    if filters.until:
        mentions = mentions.filter(item__occurred_at__lt=filters.until)
    if filters.channel:
        mentions = mentions.filter(item__channel=filters.channel)
    rows = _numbers(list(mentions.values_list("item_id", "theme_id")), 2).astype(np.int64)
    at = np.clip(np.searchsorted(theme_pks, rows[:, 1]), 0, len(theme_pks) - 1)
    tops_of = np.where(theme_pks[at] == rows[:, 1], top_of[at], -1)
    pos, inside = _positions(items, rows[:, 0])
    inside &= tops_of >= 0
    has = np.zeros((items.n, len(tops)), dtype=bool)
    has[pos[inside], tops_of[inside]] = True
    counts = has.sum(axis=0)
    return [
        _Candidate(name, "theme", has[:, i].astype(float), int(counts[i]), True, theme_id=pk)
        for i, (pk, name) in enumerate(tops)
        if counts[i] >= MIN_DRIVER_N
    ]


def _answer_candidates(workspace, filters: engine.MetricFilter, items: _Items) -> list[_Candidate]:
    time_only = engine.MetricFilter(since=filters.since, until=filters.until, channel=filters.channel)
    rows = list(
        Answer.objects.filter(
            _answer_scope(workspace, time_only), type__in=DRIVER_ANSWER_TYPES, value__isnull=False
        ).values_list("pk", "item_id", "value", "scale_min", "scale_max", "key", "type")
    )
    numbers = _numbers([r[:5] for r in rows], 5)
    index: dict[tuple[str, str], int] = {}
    codes = np.asarray([index.setdefault((r[5], r[6]), len(index)) for r in rows], dtype=np.int64)
    pos, inside = _positions(items, numbers[:, 1].astype(np.int64))
    inside &= ~np.isin(numbers[:, 0].astype(np.int64), items.answer_ids)  # outcome answers are no drivers
    needed = max(MIN_DRIVER_N, math.ceil(MIN_ANSWERED_SHARE * items.n))
    names = sorted({key for key, _ in index})
    key_of = np.asarray([names.index(key) for key, _ in index], dtype=np.int64)  # (key, type) -> key
    type_of = [kind for _, kind in index]
    per_row_key = key_of[codes] if len(codes) else codes
    counts = np.bincount(per_row_key[inside], minlength=len(names))
    out = []
    for k in np.flatnonzero(counts >= needed):
        sel = inside & (per_row_key == k)
        v, lo, hi = numbers[sel, 2], numbers[sel, 3].copy(), numbers[sel, 4].copy()
        kinds = np.asarray(type_of, dtype=object)[codes[sel]]
        for kind, (dlo, dhi) in DEFAULT_SCALES.items():  # csat/ces without a scale: the usual one
            missing = (kinds == kind) & (np.isnan(lo) | np.isnan(hi))
            lo[missing], hi[missing] = dlo, dhi
        missing = np.isnan(lo) | np.isnan(hi) | (hi <= lo)  # rating/number: the key's own range
        if missing.any():
            lo[missing], hi[missing] = v[missing].min(), v[missing].max()
        span = hi - lo
        scaled = np.where(span > 0, 100.0 * (v - lo) / np.where(span > 0, span, 1.0), 50.0)
        mean = float(scaled.mean())
        column = np.full(items.n, mean)
        column[pos[sel]] = scaled
        out.append(
            _Candidate(
                names[k],
                "answer",
                column,
                int(counts[k]),
                False,
                imputed=items.n - int(counts[k]),
                perf=stats.mean_interval(
                    len(scaled), mean, float(scaled.var(ddof=1)) if len(scaled) > 1 else None
                ),
            )
        )
    return out


def _attribute_candidates(items: _Items) -> list[_Candidate]:
    out = []
    for kind, (levels, codes) in items.attributes.items():
        counts = np.bincount(codes, minlength=len(levels))
        if (counts > 0).sum() < 2:
            continue
        ref = max(range(len(levels)), key=lambda i: (counts[i], levels[i]))  # the most frequent
        reference = levels[ref] or "not set"
        for i, level in enumerate(levels):
            if i != ref and counts[i] >= MIN_DRIVER_N:
                out.append(
                    _Candidate(
                        f"{kind.title()}: {level or 'not set'}",
                        kind,
                        (codes == i).astype(float),
                        int(counts[i]),
                        True,
                        reference=reference,
                    )
                )
    return out


def _select(candidates: list[_Candidate], n: int) -> tuple[list[_Candidate], np.ndarray, list[str]]:
    """The most frequent candidates (at most MAX_DRIVERS), each kept only if it varies and the ones kept
    before it do not explain (almost) all of it. Returns them with their standardized columns (n × k)."""
    kept: list[_Candidate] = []
    z = np.empty((n, MAX_DRIVERS))
    corr = np.eye(MAX_DRIVERS)
    left_out: list[str] = []
    for cand in sorted(candidates, key=lambda c: (-c.n_with, c.kind, c.name)):
        k = len(kept)
        if k == MAX_DRIVERS:
            left_out.append(f"{cand.name}: beyond the {MAX_DRIVERS} most frequent drivers")
            continue
        std = float(cand.column.std())
        if (cand.binary and cand.n_with >= n) or std <= 1e-12:
            left_out.append(f"{cand.name}: the same for every item")
            continue
        z[:, k] = (cand.column - cand.column.mean()) / std
        r = z[:, :k].T @ z[:, k] / n
        if k and 1.0 - float(r @ np.linalg.solve(corr[:k, :k], r)) < MIN_TOLERANCE:
            left_out.append(f"{cand.name}: the drivers before it already account for it")
            continue
        corr[k, :k] = corr[:k, k] = r
        kept.append(cand)
    return kept, z[:, : len(kept)], left_out


# -- the model -----------------------------------------------------------------------------------------------
def subset_r2(corr: np.ndarray, r: np.ndarray) -> np.ndarray:
    """R² of the regression on every subset of the drivers, indexed by bit mask (bit j = driver j), from
    their correlation matrix `corr` and their correlations `r` with the outcome: R²(S) = r_Sᵀ R_SS⁻¹ r_S.
    The subsets of one size are solved as one batch."""
    k = len(r)
    r2 = np.zeros(1 << k)
    bits = 1 << np.arange(k, dtype=np.int64)
    for size in range(1, k + 1):
        combos = np.asarray(list(itertools.combinations(range(k), size)), dtype=np.int64)
        a = corr[combos[:, :, None], combos[:, None, :]]
        b = r[combos]
        beta = np.linalg.solve(a, b[..., None])[..., 0]
        r2[bits[combos].sum(axis=1)] = (b * beta).sum(axis=1)
    return r2


def shapley(r2: np.ndarray, k: int) -> np.ndarray:
    """Each driver's Shapley value of R² (LMG): Σ over subsets S without j of |S|!(k−|S|−1)!/k! ·
    (R²(S ∪ {j}) − R²(S)). They add up to R² of all k drivers."""
    masks = np.arange(1 << k, dtype=np.int64)
    size = np.zeros(1 << k, dtype=np.int64)
    for j in range(k):
        size += (masks >> j) & 1
    weight = np.asarray(
        [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)], dtype=float
    )
    out = np.zeros(k)
    for j in range(k):
        without = masks[((masks >> j) & 1) == 0]
        out[j] = float((weight[size[without]] * (r2[without | (1 << j)] - r2[without])).sum())
    return out


def _performance(outcome: str, items: _Items, mask: np.ndarray) -> stats.Estimate:
    if outcome == "nps":
        return stats.nps(
            int(items.good[mask].sum()), int(items.passive[mask].sum()), int(items.bad[mask].sum())
        )
    return stats.wilson(int(items.good[mask].sum()), int(mask.sum())).scaled(100.0)


def _revenue(items: _Items, mask: np.ndarray) -> tuple[float, int]:
    """(summed lifetime value, how many) of the distinct detractor customers with a value under the mask."""
    at_risk = mask & items.bad & (items.customer >= 0) & ~np.isnan(items.value)
    customers, first = np.unique(items.customer[at_risk], return_index=True)
    return float(items.value[at_risk][first].sum()), len(customers)


def quadrant(share: float, perf: float | None, mean_share: float, mean_perf: float) -> str:
    """The matrix's quadrant: importance and performance each at or above the mean ("high") or below."""
    high_importance = share >= mean_share
    high_performance = perf is not None and perf >= mean_perf
    if high_importance:
        return "Keep" if high_performance else "Fix now"
    return "Maintain" if high_performance else "Low priority"


def _method(outcome: str, k: int) -> str:
    score = "the 0–10 score" if outcome == "nps" else "the CSAT score (0–100 of its scale)"
    return (
        f"Shapley decomposition of R² (LMG) over a least-squares regression of {score} on {k} "
        f"driver{'s' if k != 1 else ''}"
    )


def _empty(
    outcome: str, n: int, reason: str, overall: stats.Estimate | None = None, left_out=()
) -> DriverResult:
    return DriverResult(
        outcome=outcome,
        n=n,
        r2=None,
        adjusted_r2=None,
        method=_method(outcome, 0),
        drivers=[],
        too_few=n < MIN_MODEL_N,
        reason=reason,
        overall=overall.value if overall else None,
        overall_low=overall.low if overall else None,
        overall_high=overall.high if overall else None,
        left_out=list(left_out),
    )


# -- the service ---------------------------------------------------------------------------------------------
def key_drivers(
    *, workspace, outcome: str = "nps", filters: engine.MetricFilter | None = None
) -> DriverResult:
    """What moves the outcome in the workspace's selection: each driver's share of the model's R², the
    way it pushes, how the outcome fares where it is present, its quadrant and the revenue at risk."""
    if outcome not in OUTCOMES:
        raise ServiceError(
            f"Unknown outcome {str(outcome)[:40]!r}; choose one of {', '.join(OUTCOMES)}.", field="outcome"
        )
    filters = filters or engine.MetricFilter()
    engine.check_choices(metric=outcome, group_by=None, filters=filters)
    label = OUTCOME_LABELS[outcome]
    items = _outcome_items(workspace, outcome, filters)
    n = items.n
    if not n:
        return _empty(outcome, 0, f"No {label} answers in this selection.")
    overall = _performance(outcome, items, np.ones(n, dtype=bool))
    if float(items.score.std()) == 0.0:
        return _empty(
            outcome, n, f"Every {label} answer in this selection is the same: nothing to explain.", overall
        )
    candidates = [
        *_theme_candidates(workspace, filters, items),
        *_answer_candidates(workspace, filters, items),
        *_attribute_candidates(items),
    ]
    kept, z, left_out = _select(candidates, n)
    k = len(kept)
    if not k:
        return _empty(
            outcome,
            n,
            f"No theme, answer or customer attribute is on at least {MIN_DRIVER_N} of the {n} items "
            "(and varies between them).",
            overall,
            left_out,
        )
    if n <= k + 1:
        return _empty(
            outcome,
            n,
            f"{n} answers are too few for {k} drivers: a regression needs more than k + 1.",
            overall,
        )
    zy = (items.score - items.score.mean()) / items.score.std()
    corr = z.T @ z / n
    r = z.T @ zy / n
    r2_all = subset_r2(corr, r)
    r2 = float(r2_all[-1])
    importance = shapley(r2_all, k)
    coefficients = np.linalg.solve(corr, r)
    adjusted = 1.0 - (1.0 - r2) * (n - 1) / (n - k - 1)
    revenue_known = bool(((items.customer >= 0) & ~np.isnan(items.value)).any())

    perfs = [c.perf if c.perf is not None else _performance(outcome, items, c.column > 0.5) for c in kept]
    shares = [float(100.0 * imp / r2) if r2 > 0 else 0.0 for imp in importance]
    known = [p.value for p in perfs if p.value is not None]
    mean_share = float(np.mean(shares))
    mean_perf = float(np.mean(known)) if known else 0.0
    drivers = []
    for c, imp, share, coef, perf in zip(kept, importance, shares, coefficients, perfs, strict=True):
        revenue, customers = (None, 0)
        if c.binary and revenue_known:
            revenue, customers = _revenue(items, c.column > 0.5)
        if c.kind == "answer":
            unit = "mean, 0–100 of its scale"
        else:
            unit = "NPS points" if outcome == "nps" else "% top-2-box"
        drivers.append(
            Driver(
                name=c.name,
                kind=c.kind,
                n_with=c.n_with,
                importance=float(imp),
                share=share if r2 > 0 else None,
                coefficient=float(coef),
                direction="up" if coef > 0 else ("down" if coef < 0 else "flat"),
                performance=perf.value,
                performance_low=perf.low,
                performance_high=perf.high,
                performance_unit=unit,
                quadrant=quadrant(share, perf.value, mean_share, mean_perf),
                revenue_at_risk=revenue,
                customers_at_risk=customers,
                imputed=c.imputed,
                theme_id=c.theme_id,
                reference=c.reference,
            )
        )
    drivers.sort(key=lambda d: (-d.importance, d.name))
    return DriverResult(
        outcome=outcome,
        n=n,
        r2=r2,
        adjusted_r2=adjusted,
        method=_method(outcome, k),
        drivers=drivers,
        too_few=n < MIN_MODEL_N,
        overall=overall.value,
        overall_low=overall.low,
        overall_high=overall.high,
        mean_importance=mean_share,
        mean_performance=mean_perf,
        revenue_known=revenue_known,
        left_out=left_out,
    )
