"""The metrics engine: one CX metric of a workspace, filtered and grouped, each figure with its 95% interval.

`metric(workspace=..., metric="nps", filters=MetricFilter(...), group_by="month")` runs ONE database query
(`values(group).annotate(...)` with counts, sums and sums of squares) and turns each group's row into a value
with its interval through the functions of cxloop/metrics/stats.py. No row of feedback is read into Python.

Metrics
- nps: answers of type nps (0–10): %promoters − %detractors, adjusted-Wald interval (stats.nps).
- csat: answers of type csat: % top-2-box (the top two points of the answer's scale, 1–5 when the answer
  carries none) with a Wilson interval; the mean score with its t interval is in `extra`.
- ces: answers of type ces: the mean effort score with a t interval; the % "easy" (5–7 on 1–7, the top two
  points of other scales; 1–7 when the answer carries no scale) with a Wilson interval is in `extra`.
- rating: answers of type rating: the mean with a t interval. Means mix scales if a workspace asks on
  several; filter by source/touchpoint to keep one scale.
- volume: the number of feedback items (no interval; never `too_few`).
- sentiment: the sentiment index of read items (enrichment done, sentiment positive/neutral/negative):
  %positive − %negative, with the adjusted-Wald interval of NPS (the same +1/0/−1 score).

Groups: channel, source, touchpoint, segment (the customer's; "" for anonymous items), theme (the
TOP_THEMES themes with most counted — not rejected — mentions, each mention's own theme, labelled with its
path; an item with two themes counts in both), week/month/quarter (truncated in the workspace's time zone,
labelled 2026-01-05 (the Monday), 2026-01, 2026-Q1).

Too few: below MIN_N = 30 answers a group's value and interval are still computed and returned, with
`too_few` true: callers show them greyed out with the n rather than hiding them, so a reader can see that a
segment exists and why its number is not to be trusted.
"""

from __future__ import annotations

import math
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter, TruncWeek

from cxloop.analysis.models import Enrichment, ThemeMention
from cxloop.core.exceptions import ServiceError
from cxloop.feedback.models import Answer, FeedbackItem

from . import stats

MIN_N = 30
TOP_THEMES = 10

METRICS = ("nps", "csat", "ces", "rating", "volume", "sentiment")
GROUPS = ("channel", "source", "touchpoint", "segment", "theme", "week", "month", "quarter")
SENTIMENTS = ("positive", "neutral", "negative")
_ANSWER_METRICS = ("nps", "csat", "ces", "rating")
_TIME_GROUPS = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}


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


@dataclass(frozen=True)
class GroupResult:
    group: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    too_few: bool
    extra: dict[str, float | None] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "group": self.group,
            "value": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n": self.n,
            "too_few": self.too_few,
            "extra": self.extra,
        }


@dataclass(frozen=True)
class MetricResult:
    metric: str
    group_by: str | None
    results: list[GroupResult]
    time_zone: str = "UTC"


# -- validation ----------------------------------------------------------------------------------------------
def check_choices(*, metric: str, group_by: str | None, filters: MetricFilter) -> None:
    """ServiceError (400) naming the choices for an unknown metric, group or sentiment."""
    if metric not in METRICS:
        raise ServiceError(
            f"Unknown metric {metric[:40]!r}; choose one of {', '.join(METRICS)}.", field="metric"
        )
    if group_by is not None and group_by not in GROUPS:
        raise ServiceError(
            f"Unknown group_by {group_by[:40]!r}; choose one of {', '.join(GROUPS)} (or leave it out).",
            field="group_by",
        )
    if filters.sentiment and filters.sentiment not in SENTIMENTS:
        raise ServiceError(
            f"Unknown sentiment {filters.sentiment[:40]!r}; choose one of {', '.join(SENTIMENTS)}.",
            field="sentiment",
        )


def _tz(workspace) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(workspace.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# -- the queryset --------------------------------------------------------------------------------------------
def _base(workspace, metric: str, filters: MetricFilter):
    """(queryset, prefix to the feedback item's fields) with every filter applied."""
    if metric in _ANSWER_METRICS:
        qs = Answer.objects.filter(workspace=workspace, type=metric, value__isnull=False)
        item, item_id = "item__", "item_id"  # occurred_at and channel are copied onto Answer (indexed)
    else:
        qs = FeedbackItem.objects.filter(workspace=workspace)
        item, item_id = "", "pk"
    if metric == "sentiment":
        qs = qs.filter(enrichment__status=Enrichment.Status.DONE, enrichment__sentiment__in=SENTIMENTS)
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
    if filters.segment:
        qs = qs.filter(**{f"{item}customer__segment": filters.segment})
    if filters.sentiment:
        qs = qs.filter(**{f"{item}enrichment__sentiment": filters.sentiment})
    if filters.theme_id is not None:
        mentioned = (
            ThemeMention.objects.filter(item_id=OuterRef(item_id), workspace=workspace)
            .exclude(status=ThemeMention.Status.REJECTED)
            .filter(Q(theme_id=filters.theme_id) | Q(theme__parent_id=filters.theme_id))
        )
        qs = qs.filter(Exists(mentioned))
    return qs, item


def _grouped(qs, item: str, group_by: str | None, tz):
    """(queryset of values() per group, the names of the group columns) for a group_by other than None."""
    if group_by in _TIME_GROUPS:
        return qs.annotate(g=_TIME_GROUPS[group_by]("occurred_at", tzinfo=tz)).values("g"), ["g"]
    if group_by == "channel":
        return qs.values(g=F("channel")), ["g"]
    if group_by in ("source", "touchpoint"):
        return qs.values(g=F(f"{item}{group_by}")), ["g"]
    if group_by == "segment":
        return qs.values(g=Coalesce(F(f"{item}customer__segment"), Value(""))), ["g"]
    # theme: join the counted mentions (each one's own theme) and keep the items that have one
    qs = qs.alias(
        counted=FilteredRelation(
            f"{item}theme_mentions", condition=~Q(**{f"{item}theme_mentions__status": "rejected"})
        )
    ).filter(counted__isnull=False)
    return qs.values(
        g=F("counted__theme_id"), g_name=F("counted__theme__name"), g_parent=F("counted__theme__parent__name")
    ), ["g", "g_name", "g_parent"]


def _aggregates(metric: str) -> dict:
    value = F("value")
    if metric == "nps":
        return {
            "n": Count("pk"),
            "promoters": Count("pk", filter=Q(value__gte=9)),
            "passives": Count("pk", filter=Q(value__gte=7, value__lt=9)),
            "detractors": Count("pk", filter=Q(value__lt=7)),
        }
    if metric == "volume":
        return {"n": Count("pk")}
    if metric == "sentiment":
        return {
            "n": Count("pk"),
            "positive": Count("pk", filter=Q(enrichment__sentiment="positive")),
            "neutral": Count("pk", filter=Q(enrichment__sentiment="neutral")),
            "negative": Count("pk", filter=Q(enrichment__sentiment="negative")),
        }
    sums = {
        "n": Count("pk"),
        "total": Sum(value, output_field=FloatField()),
        "squares": Sum(value * value, output_field=FloatField()),
    }
    if metric == "csat":  # top-2-box of the answer's own scale (1–5 when it has none)
        top_low = Coalesce(F("scale_max"), Value(5)) - 1
        sums["good"] = Count("pk", filter=Q(value__gte=top_low))
    elif metric == "ces":  # "easy": 5–7 on 1–7 (the default), the top two points of other scales
        top_low = Case(
            When(Q(scale_max__isnull=True) | Q(scale_max=7), then=Value(5)),
            default=F("scale_max") - 1,
        )
        sums["good"] = Count("pk", filter=Q(value__gte=top_low))
    return sums


def _mean(row) -> stats.Estimate:
    n = row["n"]
    if not n:
        return stats.EMPTY
    mean = row["total"] / n
    variance = None
    if n > 1:  # sample variance from the sums: (Σx² − n·x̄²) / (n − 1), clamped at 0 against rounding
        variance = max(0.0, (row["squares"] - n * mean * mean) / (n - 1))
    return stats.mean_interval(n, mean, variance)


def _finite(v: float | None) -> float | None:
    return None if v is None or math.isnan(v) else v


def _result(metric: str, label: str, row) -> GroupResult:
    n = row["n"]
    extra: dict[str, float | None] = {}
    if metric == "volume":
        return GroupResult(label, float(n), None, None, n, False)
    if metric == "nps":
        est = stats.nps(row["promoters"], row["passives"], row["detractors"])
        extra = {"promoters": est.promoter_share, "detractors": est.detractor_share}
    elif metric == "sentiment":
        est = stats.nps(row["positive"], row["neutral"], row["negative"])
        extra = {"positive": est.promoter_share, "negative": est.detractor_share}
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
    return GroupResult(label, _finite(est.value), _finite(est.low), _finite(est.high), n, n < MIN_N, extra)


def _label(group_by: str | None, row, tz) -> str:
    g = row["g"]
    if group_by in _TIME_GROUPS:
        local = g.astimezone(tz) if g.tzinfo else g
        if group_by == "week":
            return local.date().isoformat()
        if group_by == "month":
            return f"{local.year:04d}-{local.month:02d}"
        return f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}"
    if group_by == "theme":
        return f"{row['g_parent']} › {row['g_name']}" if row["g_parent"] else row["g_name"]
    return "" if g is None else str(g)


# -- the service ---------------------------------------------------------------------------------------------
def metric(
    *, workspace, metric: str, filters: MetricFilter | None = None, group_by: str | None = None
) -> MetricResult:
    """One metric of the workspace per group, in one query. Groups with no answers are not listed (an empty
    selection gives no results). Order: time groups oldest first; themes and other groups by n, largest
    first (themes: the TOP_THEMES largest)."""
    filters = filters or MetricFilter()
    check_choices(metric=metric, group_by=group_by, filters=filters)
    tz = _tz(workspace)
    qs, item = _base(workspace, metric, filters)
    if group_by is None:  # one aggregate over the selection; nothing selected gives no results
        row = qs.aggregate(**_aggregates(metric))
        results = [_result(metric, "all", row)] if row["n"] else []
        return MetricResult(metric=metric, group_by=None, results=results, time_zone=str(tz))
    grouped, columns = _grouped(qs, item, group_by, tz)
    rows = grouped.annotate(**_aggregates(metric))
    rows = rows.order_by("g") if group_by in _TIME_GROUPS else rows.order_by("-n", *columns)
    if group_by == "theme":
        rows = rows[:TOP_THEMES]
    results = [_result(metric, _label(group_by, row, tz), row) for row in rows]
    return MetricResult(metric=metric, group_by=group_by, results=results, time_zone=str(tz))
