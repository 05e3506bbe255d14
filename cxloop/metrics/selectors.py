"""Reads for the dashboards. Every function takes the workspace.

`overview` gathers the default CX overview: each widget is ONE call of the metrics engine (cxloop/metrics/
engine.py: one query per `metric` and per `compare`, every figure with its 95% interval, n and too-few flag),
plus the latest verbatims from the feedback store. Nothing here formats or draws: views.py does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F

from cxloop.core.parallel import run_all
from cxloop.customers.models import Customer
from cxloop.feedback.models import FeedbackItem
from cxloop.feedback.selectors import FeedbackFilter, feedback_queryset

from . import engine

CARD_METRICS = ("nps", "csat", "ces", "volume")
TREND_METRICS = ("nps", "csat", "ces")
VERBATIMS = 10
CHOICES_LIMIT = 200


@dataclass(frozen=True)
class Overview:
    cards: dict[
        str, engine.Change | None
    ]  # metric -> the selection against the period before (None: no data)
    trends: dict[str, engine.MetricResult]  # metric -> by the time group
    volume_by_channel: engine.MetricResult
    sentiment_by_touchpoint: engine.MetricResult
    nps_by_region: engine.MetricResult
    nps_by_region_over_time: engine.MetricResult  # region, then the time group
    theme_changes: list[engine.Change]  # volume per theme against the period before
    verbatims: list[FeedbackItem]


def first_feedback_at(*, workspace):
    """When the workspace's oldest feedback happened (None: it has none). One index seek."""
    qs = FeedbackItem.objects.filter(workspace=workspace).order_by("occurred_at", "id")
    return qs.values_list("occurred_at", flat=True).first()


def _card(workspace, metric: str, filters: engine.MetricFilter) -> engine.Change | None:
    changes = engine.compare(workspace=workspace, metric=metric, filters=filters, against="previous")
    return changes[0] if changes else None


def selection_is_empty(cards: dict[str, engine.Change | None]) -> bool:
    """No feedback at all in the selected period (whatever the period before holds)."""
    volume = cards.get("volume")
    return volume is None or volume.current.n == 0


def overview_cards(*, workspace, filters: engine.MetricFilter) -> dict[str, engine.Change | None]:
    """NPS, CSAT, CES and volume of the selection, each against the period of the same length just before
    (filters.since and filters.until are required). One query each, side by side (core/parallel.py)."""
    return run_all({m: (lambda m=m: _card(workspace, m, filters)) for m in CARD_METRICS})


def overview(
    *, workspace, filters: engine.MetricFilter, time_group: str, cards: dict[str, engine.Change | None]
) -> Overview:
    """The overview's widgets for a selection whose cards were already read (see overview_cards)."""

    def run(metric: str, group_by: str | None, then_by: str | None = None) -> engine.MetricResult:
        kwargs = {"then_by": then_by} if then_by else {}
        return engine.metric(workspace=workspace, metric=metric, filters=filters, group_by=group_by, **kwargs)

    calls = {f"trend_{m}": (lambda m=m: run(m, time_group)) for m in TREND_METRICS}
    calls |= {
        "volume_by_channel": lambda: run("volume", "channel"),
        "sentiment_by_touchpoint": lambda: run("sentiment", "touchpoint"),
        "nps_by_region_over_time": lambda: run("nps", "region", time_group),
        "theme_changes": lambda: engine.compare(
            workspace=workspace, metric="volume", filters=filters, group_by="theme", against="previous"
        ),
        "verbatims": lambda: latest_verbatims(workspace=workspace, filters=filters),
    }
    got = run_all(calls)  # one query each, side by side (core/parallel.py)
    return Overview(
        cards=cards,
        trends={m: got[f"trend_{m}"] for m in TREND_METRICS},
        volume_by_channel=got["volume_by_channel"],
        sentiment_by_touchpoint=got["sentiment_by_touchpoint"],
        nps_by_region=_totals(got["nps_by_region_over_time"]),
        nps_by_region_over_time=got["nps_by_region_over_time"],
        theme_changes=got["theme_changes"],
        verbatims=got["verbatims"],
    )


def _totals(result: engine.MetricResult) -> engine.MetricResult:
    """The first group's figures of a two-group result (engine.metric's `totals`), as a one-group result."""
    return engine.MetricResult(
        metric=result.metric,
        group_by=result.group_by,
        results=result.totals or [],
        time_zone=result.time_zone,
    )


def latest_verbatims(
    *, workspace, filters: engine.MetricFilter, limit: int = VERBATIMS
) -> list[FeedbackItem]:
    """The newest items with a text among those the filters select, with their customer and the sentiment
    the models read (`reading_sentiment`, "" or None when not read yet). One query."""
    selected = FeedbackFilter(
        since=filters.since,
        until=filters.until,
        channel=filters.channel or None,
        source=filters.source or None,
        touchpoint=filters.touchpoint or None,
        segment=filters.segment or None,
        region=filters.region or None,
        theme_id=filters.theme_id,
        sentiment=filters.sentiment or None,
        has_text=True,
    )
    qs = (
        feedback_queryset(workspace=workspace, filters=selected)
        .select_related("customer")
        .annotate(reading_sentiment=F("enrichment__sentiment"))
        .order_by("-occurred_at", "-id")
    )
    return list(qs[:limit])


# -- the filter form's menus ---------------------------------------------------------------------------------
def customer_values(*, workspace, field: str, limit: int = CHOICES_LIMIT) -> list[str]:
    """The distinct non-empty values of a customer column (segment, region) of the workspace."""
    if field not in ("segment", "region"):
        raise ValueError(field)
    qs = Customer.objects.filter(workspace=workspace).exclude(**{field: ""})
    return list(qs.order_by(field).values_list(field, flat=True).distinct()[:limit])


def touchpoints(*, workspace, limit: int = CHOICES_LIMIT) -> list[str]:
    """The distinct non-empty touchpoints of the workspace's feedback."""
    qs = FeedbackItem.objects.filter(workspace=workspace).exclude(touchpoint="")
    return list(qs.order_by("touchpoint").values_list("touchpoint", flat=True).distinct()[:limit])
