"""The metrics engine: one CX metric of a workspace, filtered and grouped, each figure with its 95% interval.

`metric(workspace=..., metric="nps", filters=MetricFilter(...), group_by="month")` runs ONE database query
(`values(group).annotate(...)` with counts, sums and sums of squares) and turns each group's row into a value
with its interval through the functions of cxloop/metrics/stats.py. No row of feedback is read into Python.

Metrics
- nps: answers of type nps (0–10) but eNPS: %promoters − %detractors, adjusted-Wald interval (stats.nps).
- csat: answers of type csat: % top-2-box (the top two points of the answer's scale, 1–5 when the answer
  carries none) with a Wilson interval; the mean score with its t interval is in `extra`.
- ces: answers of type ces: the mean effort score with a t interval; the % "easy" (5–7 on 1–7, the top two
  points of other scales; 1–7 when the answer carries no scale) with a Wilson interval is in `extra`.
- rating: answers of type rating: the mean with a t interval. Means mix scales if a workspace asks on
  several; filter by source/touchpoint to keep one scale.
- volume: the number of feedback items (no interval; never `too_few`).
- sentiment: the sentiment index of read items (enrichment done, sentiment positive/neutral/negative):
  %positive − %negative, with the adjusted-Wald interval of NPS (the same +1/0/−1 score).
- theme_share: the % of read items that mention a theme (group_by="theme", or theme_id=…), Wilson interval.
- enps: employee NPS, the 0–10 answers to the eNPS survey template's question (key "enps"); those answers
  are left out of nps, which is about customers.
- mean: the mean of one question's numeric answers (answer_key), whatever their type, with a t interval.
  `distribution()` gives any question's answers value by value (or choice by choice) with their shares.
- response_rate: % of survey invitations sent (and not bounced) whose response was completed, Wilson
  interval; periods are of the sending time, filters and groups those an invitation has (channel, the
  customer's columns, time).

Weighting: `weight="lifetime_value"` (see metric()). Changes: compare() tests a figure against the previous
period or the rest of the selection (cxloop/metrics/significance.py).

Groups (and a second one with then_by): channel, source, touchpoint, the customer's segment, region,
country, plan ("" for anonymous items), theme (the
TOP_THEMES themes with most counted — not rejected — mentions, each mention's own theme, labelled with its
path; an item with two themes counts in both), day/week/month/quarter (truncated in the workspace's time
zone, labelled 2026-01-05 (a week by its Monday), 2026-01, 2026-Q1).

Too few: below MIN_N = 30 answers a group's value and interval are still computed and returned, with
`too_few` true: callers show them greyed out with the n rather than hiding them, so a reader can see that a
segment exists and why its number is not to be trusted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDay, TruncMonth, TruncQuarter, TruncWeek

from cxloop.analysis.models import Enrichment, ThemeMention
from cxloop.core.exceptions import ServiceError
from cxloop.feedback.models import Answer, FeedbackItem

from . import significance, stats
from .periods import LocalPeriod

MIN_N = 30
TOP_THEMES = 10

METRICS = (
    "nps",
    "csat",
    "ces",
    "rating",
    "volume",
    "sentiment",
    "theme_share",
    "enps",
    "response_rate",
    "mean",
)
GROUPS = (
    "channel",
    "source",
    "touchpoint",
    "segment",
    "region",
    "country",
    "plan",
    "theme",
    "day",
    "week",
    "month",
    "quarter",
)
_CUSTOMER_GROUPS = ("segment", "region", "country", "plan")
WEIGHTS = ("lifetime_value",)  # numeric customer columns a metric can be weighted by
SENTIMENTS = ("positive", "neutral", "negative")
_ANSWER_METRICS = ("nps", "csat", "ces", "rating", "enps", "mean")
ENPS_KEY = "enps"  # the question key of the eNPS survey template (cxloop/surveys/library.py)
_NOT_FOR_INVITATIONS = ("source", "touchpoint", "theme")  # response_rate: invitations have none of these
_TIME_GROUPS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}


@dataclass(frozen=True)
class MetricFilter:
    """Which feedback counts. `since` included, `until` excluded (on occurred_at); empty strings and None
    filter nothing. `theme_id` keeps items with a counted mention of the theme or one of its sub-themes."""

    since: datetime | None = None
    until: datetime | None = None
    channel: str = ""
    source: str = ""
    touchpoint: str = ""
    segment: str = ""
    theme_id: int | None = None
    sentiment: str = ""
    region: str = ""
    country: str = ""
    plan: str = ""
    answer_key: str = ""  # answer metrics: only this question's answers; others: items that answered it


@dataclass(frozen=True)
class GroupResult:
    group: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    too_few: bool
    extra: dict[str, float | None] = field(default_factory=dict)
    group2: str | None = None  # the second group's label when `then_by` was given
    key: str | None = (
        None  # what the group is in a filter: a theme's id, a period's start date; else the label
    )
    key2: str | None = None

    def as_dict(self) -> dict:
        out = {
            "group": self.group,
            "value": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n": self.n,
            "too_few": self.too_few,
            "extra": self.extra,
        }
        if self.group2 is not None:
            out["group2"] = self.group2
        return out


@dataclass(frozen=True)
class MetricResult:
    metric: str
    group_by: str | None
    results: list[GroupResult]
    time_zone: str = "UTC"
    then_by: str | None = None
    weighted_by: str | None = None
    # with then_by: each first group's figure over all its second groups (summed from the same rows)
    totals: list[GroupResult] | None = None


# -- validation ----------------------------------------------------------------------------------------------
def check_choices(
    *, metric: str, group_by: str | None, filters: MetricFilter, then_by: str | None = None
) -> None:
    """ServiceError (400) naming the choices for an unknown metric, group or sentiment."""
    if metric not in METRICS:
        raise ServiceError(
            f"Unknown metric {metric[:40]!r}; choose one of {', '.join(METRICS)}.", field="metric"
        )
    for name, value in (("group_by", group_by), ("then_by", then_by)):
        if value is not None and value not in GROUPS:
            raise ServiceError(
                f"Unknown {name} {value[:40]!r}; choose one of {', '.join(GROUPS)} (or leave it out).",
                field=name,
            )
    if then_by is not None and group_by is None:
        raise ServiceError("then_by needs a group_by to come after.", field="then_by")
    if then_by is not None and then_by == group_by:
        raise ServiceError(
            f"group_by and then_by are both {then_by!r}; pick two different groups.", field="then_by"
        )
    if filters.sentiment and filters.sentiment not in SENTIMENTS:
        raise ServiceError(
            f"Unknown sentiment {filters.sentiment[:40]!r}; choose one of {', '.join(SENTIMENTS)}.",
            field="sentiment",
        )
    if filters.since and filters.until and filters.since >= filters.until:
        raise ServiceError("since must be before until.", field="since")
    if metric == "mean" and not filters.answer_key:
        raise ServiceError(
            "mean is the mean of one question's answers: give its answer_key.", field="answer_key"
        )
    if metric == "response_rate" and {group_by, then_by} & set(_NOT_FOR_INVITATIONS):
        raise ServiceError(
            "The response rate groups by channel, the customer's segment, region, country or plan, or time.",
            field="group_by",
        )
    if metric == "theme_share" and filters.theme_id is None and "theme" not in (group_by, then_by):
        raise ServiceError(
            "theme_share is the share of read texts that mention a theme: give a theme_id or group by theme.",
            field="metric",
        )


# -- the queryset --------------------------------------------------------------------------------------------
def _mentioned(workspace, item_ref: str, theme_id: int) -> Exists:
    """The item has a counted (not rejected) mention of the theme or one of its sub-themes."""
    return Exists(
        ThemeMention.objects.filter(item_id=OuterRef(item_ref), workspace=workspace)
        .exclude(status=ThemeMention.Status.REJECTED)
        .filter(Q(theme_id=theme_id) | Q(theme__parent_id=theme_id))
    )


def _base(workspace, metric: str, filters: MetricFilter):
    """(queryset, prefix to the feedback item's fields) with every filter applied. theme_share's rows are
    the read items, and its theme_id is the numerator's theme, not a filter (see _aggregates)."""
    if metric == "response_rate":
        return _invitations(workspace, filters), ""
    if metric in _ANSWER_METRICS or metric == "distribution":
        # eNPS is the 0–10 answer to the eNPS survey's question, kept out of the customers' NPS
        qs = Answer.objects.filter(workspace=workspace)
        if metric != "distribution":  # numeric answers only, except for a distribution of choices
            qs = qs.filter(value__isnull=False)
        if metric not in (
            "mean",
            "distribution",
        ):  # mean: any numeric answer of the question (answer_key), whatever its type
            qs = qs.filter(type="nps" if metric == "enps" else metric)
        if filters.answer_key:
            qs = qs.filter(key=filters.answer_key)
        if metric == "enps":
            qs = qs.filter(key=ENPS_KEY)
        elif metric == "nps":
            qs = qs.exclude(key=ENPS_KEY)
        item, item_id = "item__", "item_id"  # occurred_at and channel are copied onto Answer (indexed)
    else:
        qs = FeedbackItem.objects.filter(workspace=workspace)
        item, item_id = "", "pk"
    if metric == "sentiment":
        qs = qs.filter(enrichment__status=Enrichment.Status.DONE, enrichment__sentiment__in=SENTIMENTS)
    if metric == "theme_share":
        qs = qs.filter(enrichment__status=Enrichment.Status.DONE)
    if filters.since:
        qs = qs.filter(occurred_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(occurred_at__lt=filters.until)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.source:
        qs = qs.filter(**{f"{item}source": filters.source})
    if filters.touchpoint:
        qs = qs.filter(**{f"{item}touchpoint": filters.touchpoint})
    for column in _CUSTOMER_GROUPS:
        if getattr(filters, column):
            qs = qs.filter(**{f"{item}customer__{column}": getattr(filters, column)})
    if filters.sentiment:
        qs = qs.filter(**{f"{item}enrichment__sentiment": filters.sentiment})
    if filters.theme_id is not None and metric != "theme_share":
        qs = qs.filter(_mentioned(workspace, item_id, filters.theme_id))
    if filters.answer_key and metric not in (*_ANSWER_METRICS, "distribution"):
        qs = qs.filter(Exists(Answer.objects.filter(item_id=OuterRef("pk"), key=filters.answer_key)))
    return qs, item


def _invitations(workspace, filters: MetricFilter):
    """Survey invitations sent and not bounced, with `occurred_at` = when sent (so periods and time groups
    work as for feedback); channel is the invitation's (email or sms)."""
    from cxloop.outreach.models import Invitation

    if (
        filters.source
        or filters.touchpoint
        or filters.sentiment
        or filters.theme_id is not None
        or filters.answer_key
    ):
        raise ServiceError(
            "The response rate is of invitations: filter it by period, channel or the customer's segment, "
            "region, country or plan.",
            field="metric",
        )
    qs = Invitation.objects.filter(workspace=workspace, sent_at__isnull=False, bounced_at__isnull=True)
    qs = qs.annotate(occurred_at=F("sent_at"))
    if filters.since:
        qs = qs.filter(occurred_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(occurred_at__lt=filters.until)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    for column in _CUSTOMER_GROUPS:
        if getattr(filters, column):
            qs = qs.filter(**{f"customer__{column}": getattr(filters, column)})
    return qs


def _group_columns(qs, item: str, group_by: str, tz, key: str, span: tuple = (None, None)):
    """(queryset, {column name: expression}) grouping by `group_by` under the name `key` ("g" or "g2");
    `span` is the selection's (since, until), which keeps the SQL of local periods on SQLite short."""
    if group_by in _TIME_GROUPS:
        if connection.vendor == "sqlite":  # Trunc* would call Python for every row (periods.py)
            since, until = span
            return qs, {key: LocalPeriod("occurred_at", kind=group_by, tz=tz, since=since, until=until)}
        return qs, {key: _TIME_GROUPS[group_by]("occurred_at", tzinfo=tz)}
    if group_by == "channel":
        return qs, {key: F("channel")}
    if group_by in ("source", "touchpoint"):
        return qs, {key: F(f"{item}{group_by}")}
    if group_by in _CUSTOMER_GROUPS:  # anonymous items (no customer) group under ""
        return qs, {key: Coalesce(F(f"{item}customer__{group_by}"), Value(""))}
    # theme: join the counted mentions (each one's own theme) and keep the items that have one
    relation = f"counted_{key}"
    qs = qs.alias(
        **{
            relation: FilteredRelation(
                f"{item}theme_mentions", condition=~Q(**{f"{item}theme_mentions__status": "rejected"})
            )
        }
    ).filter(**{f"{relation}__isnull": False})
    return qs, {
        key: F(f"{relation}__theme_id"),
        f"{key}_name": F(f"{relation}__theme__name"),
        f"{key}_parent": F(f"{relation}__theme__parent__name"),
    }


def _aggregates(metric: str, *, workspace=None, theme_id: int | None = None) -> dict:
    """The counts and sums of a metric. Answers are counted by `value` (never null in their selection), a
    column of the answers' covering index, so that PostgreSQL can read that index alone."""
    value = F("value")
    if metric == "response_rate":
        return {"n": Count("pk"), "good": Count("pk", filter=Q(response__status="completed"))}
    if metric in ("nps", "enps"):
        return {
            "n": Count("value"),
            "promoters": Count("value", filter=Q(value__gte=9)),
            "passives": Count("value", filter=Q(value__gte=7, value__lt=9)),
            "detractors": Count("value", filter=Q(value__lt=7)),
        }
    if metric == "volume":
        return {"n": Count("pk")}
    if metric == "theme_share":  # read items; `good` those that mention the theme (when one is given)
        aggs = {"n": Count("pk", distinct=True)}
        if theme_id is not None:
            aggs["good"] = Count("pk", filter=_mentioned(workspace, "pk", theme_id), distinct=True)
        return aggs
    if metric == "sentiment":
        return {
            "n": Count("pk"),
            "positive": Count("pk", filter=Q(enrichment__sentiment="positive")),
            "neutral": Count("pk", filter=Q(enrichment__sentiment="neutral")),
            "negative": Count("pk", filter=Q(enrichment__sentiment="negative")),
        }
    sums = {
        "n": Count("value"),
        "total": Sum(value, output_field=FloatField()),
        "squares": Sum(value * value, output_field=FloatField()),
    }
    if metric == "csat":  # top-2-box of the answer's own scale (1–5 when it has none)
        top_low = Coalesce(F("scale_max"), Value(5)) - 1
        sums["good"] = Count("value", filter=Q(value__gte=top_low))
    elif metric == "ces":  # "easy": 5–7 on 1–7 (the default), the top two points of other scales
        top_low = Case(
            When(Q(scale_max__isnull=True) | Q(scale_max=7), then=Value(5)),
            default=F("scale_max") - 1,
        )
        sums["good"] = Count("value", filter=Q(value__gte=top_low))
    return sums


def _weighted_aggregates(metric: str, item: str) -> dict:
    """Sums for a metric weighted by the customer's lifetime value: Σw, Σw² and, per metric, the sums the
    linearised variance needs (see _weighted_result)."""
    if metric in ("theme_share", "response_rate"):
        raise ServiceError(f"{metric} cannot be weighted.", field="weight")
    w = Cast(F(f"{item}customer__lifetime_value"), FloatField())
    ww = w * w

    def total(expr, when=None):
        return Coalesce(Sum(expr, filter=when, output_field=FloatField()), Value(0.0))

    aggs = {"n": Count("pk"), "sw": total(w), "sw2": total(ww)}
    good = None
    if metric in ("nps", "enps"):
        good, bad = Q(value__gte=9), Q(value__lt=7)
    elif metric == "sentiment":
        good, bad = Q(enrichment__sentiment="positive"), Q(enrichment__sentiment="negative")
    if good is not None:
        aggs |= {"swg": total(w, good), "sw2g": total(ww, good), "swb": total(w, bad), "sw2b": total(ww, bad)}
        return aggs
    if metric in ("csat", "ces"):
        top = _aggregates(metric)["good"].filter  # the same top-box condition as the unweighted figure
        aggs |= {"swg": total(w, top), "sw2g": total(ww, top)}
    if metric != "volume":
        value = F("value")
        aggs |= {"swx": total(w * value), "sw2x": total(ww * value), "sw2x2": total(ww * value * value)}
    return aggs


def _linearised(sw: float, sw2: float, sw2s2: float, sw2s: float, m: float) -> float:
    """The variance of a weighted mean m = Σws/Σw by linearisation: Σw²(s − m)² / (Σw)²."""
    return max(0.0, (sw2s2 - 2.0 * m * sw2s + m * m * sw2) / (sw * sw))


def _weighted_result(metric: str, label: str, row, **names) -> GroupResult:
    """A weighted figure: NPS/sentiment and shares are weighted means of a 0/1 or +1/0/−1 score, means of the
    value; their normal interval comes from the linearised variance, and `too_few` also holds when Kish's
    effective sample size (Σw)²/Σw² is below MIN_N (a few big customers are a small sample)."""
    n, sw, sw2 = row["n"], row["sw"] or 0.0, row["sw2"] or 0.0
    n_eff = (sw * sw / sw2) if sw2 else 0.0
    extra: dict[str, float | None] = {"weight_total": sw, "n_effective": n_eff}
    too_few = n < MIN_N or n_eff < MIN_N
    if metric == "volume":
        return GroupResult(label, sw, None, None, n, False, extra, **names)
    if sw <= 0:
        return GroupResult(label, None, None, None, n, True, extra, **names)
    z = stats.z_quantile(0.975)

    def est(m: float, var: float, scale: float, lo: float | None, hi: float | None):
        half = z * math.sqrt(var)
        low, high = m - half, m + half
        if lo is not None:
            low, high = max(lo, low), min(hi, high)
        return scale * m, scale * low, scale * high

    if metric in ("nps", "enps", "sentiment"):
        m = (row["swg"] - row["swb"]) / sw
        var = _linearised(sw, sw2, row["sw2g"] + row["sw2b"], row["sw2g"] - row["sw2b"], m)
        value, low, high = est(m, var, 100.0, -1.0, 1.0)
    elif metric == "csat":
        p = row["swg"] / sw
        value, low, high = est(p, _linearised(sw, sw2, row["sw2g"], row["sw2g"], p), 100.0, 0.0, 1.0)
    else:  # ces and rating: the weighted mean
        m = row["swx"] / sw
        value, low, high = est(m, _linearised(sw, sw2, row["sw2x2"], row["sw2x"], m), 1.0, None, None)
        if metric == "ces":
            p = row["swg"] / sw
            e = est(p, _linearised(sw, sw2, row["sw2g"], row["sw2g"], p), 100.0, 0.0, 1.0)
            extra |= {"easy": e[0], "easy_ci_low": e[1], "easy_ci_high": e[2]}
    return GroupResult(label, _finite(value), _finite(low), _finite(high), n, too_few, extra, **names)


def _mean_var(row) -> tuple[float | None, float | None]:
    n = row["n"]
    if not n:
        return None, None
    mean = row["total"] / n
    if n < 2:
        return mean, None
    # sample variance from the sums: (Σx² − n·x̄²) / (n − 1), clamped at 0 against rounding
    return mean, max(0.0, (row["squares"] - n * mean * mean) / (n - 1))


def _mean(row) -> stats.Estimate:
    if not row["n"]:
        return stats.EMPTY
    mean, variance = _mean_var(row)
    return stats.mean_interval(row["n"], mean, variance)


def _finite(v: float | None) -> float | None:
    return None if v is None or math.isnan(v) else v


def _result(metric: str, label: str, row, **names) -> GroupResult:
    n = row["n"]
    extra: dict[str, float | None] = {}
    if metric == "volume":
        return GroupResult(label, float(n), None, None, n, False, **names)
    if metric in ("nps", "enps"):
        est = stats.nps(row["promoters"], row["passives"], row["detractors"])
        extra = {"promoters": est.promoter_share, "detractors": est.detractor_share}
    elif metric == "sentiment":
        est = stats.nps(row["positive"], row["neutral"], row["negative"])
        extra = {"positive": est.promoter_share, "negative": est.detractor_share}
    elif metric == "theme_share":
        est = stats.wilson(row["good"], n).scaled(100.0)
        extra = {"items": float(row["good"])}
    elif metric == "response_rate":
        est = stats.wilson(row["good"], n).scaled(100.0)
        extra = {"answered": float(row["good"])}
    elif metric == "csat":
        est = stats.wilson(row["good"], n).scaled(100.0)
        mean = _mean(row)
        extra = {"mean": mean.value, "mean_ci_low": mean.low, "mean_ci_high": mean.high}
    elif metric == "ces":
        est = _mean(row)
        easy = stats.wilson(row["good"], n).scaled(100.0)
        extra = {"easy": easy.value, "easy_ci_low": easy.low, "easy_ci_high": easy.high}
    else:  # rating
        est = _mean(row)
    return GroupResult(
        label, _finite(est.value), _finite(est.low), _finite(est.high), n, n < MIN_N, extra, **names
    )


def _label(group_by: str, row, key: str, tz) -> tuple[str, str]:
    """(label, key) of a group: the key is what a filter takes (a theme's id, a period's first day)."""
    g = row[key]
    if group_by in _TIME_GROUPS:
        if isinstance(g, str):  # SQLite: the period's first day already, local (periods.LocalPeriod)
            g = date.fromisoformat(g)
        local = g.astimezone(tz) if getattr(g, "tzinfo", None) else g
        day = (local.date() if isinstance(local, datetime) else local).isoformat()
        if group_by in ("day", "week"):
            return day, day
        if group_by == "month":
            return f"{local.year:04d}-{local.month:02d}", day
        return f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}", day
    if group_by == "theme":
        parent, name = row[f"{key}_parent"], row[f"{key}_name"]
        return (f"{parent} › {name}" if parent else name), str(g)
    label = "" if g is None else str(g)
    return label, label


# -- rows: one query (theme_share by theme: two) -----------------------------------------------------------
_COUNTS = (
    "sw",
    "sw2",
    "swg",
    "sw2g",
    "swb",
    "sw2b",
    "swx",
    "sw2x",
    "sw2x2",
    "n",
    "promoters",
    "passives",
    "detractors",
    "positive",
    "neutral",
    "negative",
    "good",
    "total",
    "squares",
)


@dataclass
class _Row:
    label: str
    key: str
    label2: str | None
    key2: str | None
    sort: object
    sort2: object
    counts: dict


def _rows(
    workspace,
    metric: str,
    filters: MetricFilter,
    group_by: str | None,
    then_by: str | None,
    tz,
    weight: str | None = None,
):
    """The raw counts and sums per group (no statistics yet), and the selection's total when asked."""
    qs, item = _base(workspace, metric, filters)
    if weight:  # only answers of customers with a value count in a weighted figure
        aggregates = _weighted_aggregates(metric, item)
        qs = qs.filter(**{f"{item}customer__{weight}__isnull": False})
    else:
        aggregates = _aggregates(metric, workspace=workspace, theme_id=filters.theme_id)
    if group_by is None:
        row = qs.aggregate(**aggregates)
        return [_Row("all", "all", None, None, 0, 0, row)] if row["n"] else []
    groups = [g for g in (group_by, then_by) if g]
    share_by_theme = metric == "theme_share" and "theme" in groups
    columns: dict = {}
    grouped = qs
    for key, g in zip(("g", "g2"), groups, strict=False):
        grouped, cols = _group_columns(grouped, item, g, tz, key, (filters.since, filters.until))
        columns.update(cols)
    if share_by_theme:  # numerator: read items per theme (and other group); denominator: per other group
        raw = grouped.values(**columns).annotate(good=Count("pk", distinct=True))
        other = next((k for k, g in zip(("g", "g2"), groups, strict=False) if g != "theme"), None)
        if other is None:
            total = qs.aggregate(n=Count("pk", distinct=True))["n"]
            denominators = {None: total}
        else:
            _, other_cols = _group_columns(
                qs, item, groups[0 if other == "g" else 1], tz, other, (filters.since, filters.until)
            )
            denominators = {
                r[other]: r["n"]
                for r in qs.values(**other_cols).annotate(n=Count("pk", distinct=True)).order_by()
            }
        raw = [{**r, "n": denominators.get(r[other] if other else None, 0)} for r in raw.order_by()]
    else:
        raw = grouped.values(**columns).annotate(**aggregates).order_by()
    rows = []
    for r in raw:
        label, key = _label(group_by, r, "g", tz)
        label2 = key2 = None
        if then_by:
            label2, key2 = _label(then_by, r, "g2", tz)
        rows.append(_Row(label, key, label2, key2, r["g"], r.get("g2"), {c: r[c] for c in _COUNTS if c in r}))
    return rows


def _both_periods(workspace, metric: str, filters: MetricFilter, start: datetime, group_by: str | None, tz):
    """({key: row} of filters.since…until, {key: row} of start…since) in ONE query: the wider selection
    grouped by which side of `since` an answer falls on (and by group_by)."""
    qs, item = _base(workspace, metric, replace(filters, since=start))
    qs = qs.annotate(
        part=Case(
            When(occurred_at__lt=filters.since, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    )
    columns: dict = {}
    if group_by is not None:
        qs, columns = _group_columns(qs, item, group_by, tz, "g")
    aggregates = _aggregates(metric, workspace=workspace, theme_id=filters.theme_id)
    now: dict[str, _Row] = {}
    then: dict[str, _Row] = {}
    for r in qs.values("part", **columns).annotate(**aggregates).order_by():
        label, key = _label(group_by, r, "g", tz) if group_by else ("all", "all")
        row = _Row(label, key, None, None, r.get("g"), None, {c: r[c] for c in _COUNTS if c in r})
        (now if r["part"] == 1 else then)[key] = row
    return now, then


def _weight(metric: str, row: _Row) -> int:
    """What orders groups: answers (items) in them; theme_share: the items that mention the theme."""
    return row.counts.get("good", 0) if metric == "theme_share" else row.counts["n"]


def _order(metric: str, rows: list[_Row], group_by: str | None, then_by: str | None, top: int | None):
    """Time groups oldest first; other groups by their total, largest first, ties by label. Themes: the
    `top` largest (over every other group)."""
    if group_by is None:
        return rows
    totals: dict[str, int] = {}
    totals2: dict[str, int] = {}
    for r in rows:
        totals[r.key] = totals.get(r.key, 0) + _weight(metric, r)
        if then_by:
            totals2[r.key2] = totals2.get(r.key2, 0) + _weight(metric, r)
    if top is not None and group_by == "theme":
        keep = set(sorted(totals, key=lambda k: (-totals[k], k))[:top])
        rows = [r for r in rows if r.key in keep]
    if top is not None and then_by == "theme":
        keep = set(sorted(totals2, key=lambda k: (-totals2[k], k))[:top])
        rows = [r for r in rows if r.key2 in keep]

    def first(r: _Row):
        return (0, r.sort, "") if group_by in _TIME_GROUPS else (-totals[r.key], 0, r.label)

    def second(r: _Row):
        if not then_by:
            return (0, 0, "")
        return (0, r.sort2, "") if then_by in _TIME_GROUPS else (-_weight(metric, r), 0, r.label2 or "")

    return sorted(rows, key=lambda r: (first(r), second(r)))


# -- the service ---------------------------------------------------------------------------------------------
def metric(
    *,
    workspace,
    metric: str,
    filters: MetricFilter | None = None,
    group_by: str | None = None,
    then_by: str | None = None,
    top_themes: int | None = TOP_THEMES,
    weight: str | None = None,
) -> MetricResult:
    """One metric of the workspace per group (and per second group with `then_by`), in one query
    (theme_share by theme: two). Groups with no answers are not listed (an empty selection gives no
    results). Order: time groups oldest first; other groups by n, largest first; themes: the `top_themes`
    largest (None: all).

    `weight="lifetime_value"` weights each answer by its customer's lifetime value (answers without one
    are left out): volume becomes the value represented, every other figure a weighted mean with the
    interval of _weighted_result and the effective sample size in `extra`."""
    filters = filters or MetricFilter()
    check_choices(metric=metric, group_by=group_by, filters=filters, then_by=then_by)
    if weight is not None and weight not in WEIGHTS:
        raise ServiceError(
            f"Unknown weight {weight[:40]!r}; choose one of {', '.join(WEIGHTS)} (or leave it out).",
            field="weight",
        )
    tz = workspace.zone
    rows = _rows(workspace, metric, filters, group_by, then_by, tz, weight)
    rows = _order(metric, rows, group_by, then_by, top_themes)
    make = _weighted_result if weight else _result
    results = [make(metric, r.label, r.counts, group2=r.label2, key=r.key, key2=r.key2) for r in rows]
    totals = None
    if then_by is not None:  # counts and sums add up: each first group's own figure, without a query
        summed: dict[str, _Row] = {}
        for r in rows:
            if r.key not in summed:
                summed[r.key] = _Row(r.label, r.key, None, None, r.sort, None, dict.fromkeys(r.counts, 0))
            for name, value in r.counts.items():
                summed[r.key].counts[name] += value or 0
        if metric == "theme_share" and group_by == "theme":  # the denominator is per second group
            totals = None
        else:
            totals = [
                make(metric, r.label, r.counts, key=r.key)
                for r in _order(metric, list(summed.values()), group_by, None, None)
            ]
    return MetricResult(
        metric=metric,
        group_by=group_by,
        results=results,
        time_zone=str(tz),
        then_by=then_by,
        weighted_by=weight,
        totals=totals,
    )


# -- changes -------------------------------------------------------------------------------------------------
AGAINST = ("previous", "rest")


@dataclass(frozen=True)
class Change:
    """A group's figure now against its baseline (the previous period, or the rest of the selection),
    with the difference's 95% interval and the test that decides whether it is a change."""

    group: str
    key: str | None
    current: GroupResult
    baseline: GroupResult
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    test: str
    significant: bool
    direction: str  # "up", "down", or "flat" (no significant change)

    def as_dict(self) -> dict:
        return {
            "group": self.group,
            "current": self.current.as_dict(),
            "baseline": self.baseline.as_dict(),
            "difference": self.difference,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "test": self.test,
            "significant": self.significant,
            "direction": self.direction,
        }


def _difference(metric: str, before: dict, after: dict) -> significance.Difference:
    if metric in ("nps", "enps", "sentiment"):
        keys = (
            ("promoters", "passives", "detractors")
            if metric != "sentiment"
            else ("positive", "neutral", "negative")
        )
        return significance.nps_change(
            stats.nps(*(before[k] for k in keys)), stats.nps(*(after[k] for k in keys))
        )
    if metric in ("csat", "theme_share", "response_rate"):
        return significance.proportion_change(before["good"], before["n"], after["good"], after["n"])
    if metric in ("ces", "rating", "mean"):
        return significance.mean_change(before["n"], *_mean_var(before), after["n"], *_mean_var(after))
    return significance.count_change(before["n"], after["n"])


def _empty_counts(metric: str, like: dict | None) -> dict:
    return dict.fromkeys(
        like
        or {
            "n": 0,
            "good": 0,
            "promoters": 0,
            "passives": 0,
            "detractors": 0,
            "positive": 0,
            "neutral": 0,
            "negative": 0,
            "total": 0.0,
            "squares": 0.0,
        },
        0,
    )


def compare(
    *,
    workspace,
    metric: str,
    filters: MetricFilter | None = None,
    group_by: str | None = None,
    against: str = "previous",
) -> list[Change]:
    """Each group's change: against="previous" compares filters.since…until with the period of the same
    length just before it (a group present on one side only is compared with an empty one); against="rest"
    compares each group with everything else in the selection (it needs a group_by, and not for volume).
    Time groups cannot be compared this way. A change is `significant` when p < 0.05 and neither side is
    too few (volume: when p < 0.05)."""
    filters = filters or MetricFilter()
    check_choices(metric=metric, group_by=group_by, filters=filters)
    if against not in AGAINST:
        raise ServiceError(
            f"Unknown against {against[:40]!r}; choose one of {', '.join(AGAINST)}.", field="against"
        )
    if group_by in _TIME_GROUPS:
        raise ServiceError(
            "Changes compare groups, not periods: leave out the time group_by.", field="group_by"
        )
    tz = workspace.zone
    pairs: list[tuple[_Row | None, dict, dict]] = []
    if against == "previous":
        if not (filters.since and filters.until):
            raise ServiceError("Comparing with the previous period needs since and until.", field="since")
        length = filters.until - filters.since
        before_filters = replace(filters, since=filters.since - length, until=filters.since)
        share_by_theme = metric == "theme_share" and group_by == "theme"
        if share_by_theme:  # a theme absent on one side still has that side's read items as denominator
            now = {r.key: r for r in _rows(workspace, metric, filters, group_by, None, tz)}
            then = {r.key: r for r in _rows(workspace, metric, before_filters, group_by, None, tz)}
            n_now = _base(workspace, metric, filters)[0].count()
            n_then = _base(workspace, metric, before_filters)[0].count()
        else:  # one query for both periods
            now, then = _both_periods(workspace, metric, filters, before_filters.since, group_by, tz)
        for key in list(now) + [k for k in then if k not in now]:
            a, b = now.get(key), then.get(key)
            like = (a or b).counts
            after = a.counts if a else _empty_counts(metric, like)
            before = b.counts if b else _empty_counts(metric, like)
            if share_by_theme:
                after, before = {**after, "n": n_now}, {**before, "n": n_then}
            pairs.append((a or b, before, after))
    else:
        if group_by is None:
            raise ServiceError("Comparing with the rest needs a group_by.", field="group_by")
        if metric == "volume" or (metric == "theme_share" and group_by == "theme"):
            raise ServiceError(
                f"{metric} by {group_by} has no 'rest' to compare with; use against=previous.",
                field="against",
            )
        total = _rows(workspace, metric, filters, None, None, tz)
        if not total:
            return []
        overall = total[0].counts
        for r in _rows(workspace, metric, filters, group_by, None, tz):
            rest = {k: (overall[k] or 0) - (r.counts[k] or 0) for k in r.counts}
            pairs.append((r, rest, r.counts))
    changes = []
    for row, before, after in pairs:
        cur = _result(metric, row.label, after, key=row.key)
        base = _result(metric, row.label, before, key=row.key)
        diff = _difference(metric, before, after)
        enough = metric == "volume" or not (cur.too_few or base.too_few)
        significant = diff.p_value is not None and diff.p_value < significance.ALPHA and enough
        direction = "flat"
        if significant and diff.value:
            direction = "up" if diff.value > 0 else "down"
        changes.append(
            Change(
                row.label,
                row.key,
                cur,
                base,
                _finite(diff.value),
                _finite(diff.low),
                _finite(diff.high),
                diff.p_value,
                diff.test,
                significant,
                direction,
            )
        )
    changes.sort(key=lambda c: (not c.significant, -abs(c.difference or 0.0), c.group))
    return changes


# -- any question's answers, value by value ------------------------------------------------------------------
@dataclass(frozen=True)
class Share:
    value: str  # the score (as text: "9", "4.5") or the choice
    count: int
    share: float | None  # % of the answers
    ci_low: float | None  # Wilson 95%
    ci_high: float | None


@dataclass(frozen=True)
class Distribution:
    key: str
    types: list[str]
    n: int  # answers (one per feedback item)
    too_few: bool
    shares: list[Share]
    mean: GroupResult | None  # numeric answers: their mean with its t interval


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _choice_counts(qs) -> list[tuple[str, int]]:
    """(choice, answers that picked it) of choice and multi-choice answers: each element of the JSON list
    counted in SQL (json_each on SQLite, jsonb_array_elements_text on PostgreSQL)."""
    ids_sql, params = qs.filter(choices__isnull=False).values("id").query.sql_with_params()
    table = Answer._meta.db_table
    # Only the model's table name and the ORM's own compiled subquery are put in the text; every value is
    # a parameter.
    if connection.vendor == "postgresql":
        sql = (
            f'SELECT e.value, COUNT(*) FROM "{table}" a '  # noqa: S608
            "CROSS JOIN LATERAL jsonb_array_elements_text(a.choices) e(value) "
            f"WHERE a.id IN ({ids_sql}) AND jsonb_typeof(a.choices) = 'array' GROUP BY e.value"
        )
    else:
        sql = (
            f'SELECT je.value, COUNT(*) FROM "{table}" a, json_each(a.choices) je '  # noqa: S608
            f"WHERE a.id IN ({ids_sql}) AND json_type(a.choices) = 'array' GROUP BY je.value"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(str(v), c) for v, c in cursor.fetchall()]


def distribution(*, workspace, key: str, filters: MetricFilter | None = None) -> Distribution:
    """The answers to one question (`key`) over the filters, value by value (scores, numbers, yes/no as 1/0)
    or choice by choice (a multi-choice answer counts once for each choice, so shares add up to more than
    100%), each share with its Wilson interval, and the mean of numeric answers. Two queries (three with
    choices)."""
    key = (key or "").strip()
    if not key:
        raise ServiceError("Give the question's key (the answer key).", field="key")
    filters = replace(filters or MetricFilter(), answer_key=key)
    check_choices(metric="volume", group_by=None, filters=filters)
    qs, _ = _base(workspace, "distribution", filters)
    totals = qs.aggregate(
        n=Count("pk"),
        numeric=Count("pk", filter=Q(value__isnull=False)),
        total=Sum("value", output_field=FloatField()),
        squares=Sum(F("value") * F("value"), output_field=FloatField()),
    )
    n = totals["n"]
    types = sorted(qs.order_by().values_list("type", flat=True).distinct()) if n else []
    counts: list[tuple[str, int]] = []
    mean = None
    if totals["numeric"]:
        rows = qs.filter(value__isnull=False).values("value").annotate(c=Count("pk")).order_by("value")
        counts += [(_number(r["value"]), r["c"]) for r in rows]
        mean = _result("rating", "mean", {**totals, "n": totals["numeric"]})
    if n > totals["numeric"]:
        counts += sorted(_choice_counts(qs), key=lambda vc: (-vc[1], vc[0]))
    shares = []
    for value, count in counts:
        est = stats.wilson(min(count, n), n).scaled(100.0)
        shares.append(Share(value, count, est.value, est.low, est.high))
    return Distribution(key=key, types=types, n=n, too_few=n < MIN_N, shares=shares, mean=mean)
