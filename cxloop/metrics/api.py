"""/api/v1/metrics: one CX metric of the key's workspace, filtered and grouped (cxloop/metrics/engine.py)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Query, Router, Schema

from cxloop.accounts.api_auth import read_key

from . import engine

router = Router(tags=["metrics"])


class MetricQuery(Schema):
    metric: str = Field(..., description=f"One of {', '.join(engine.METRICS)}")
    group_by: str | None = Field(None, description=f"One of {', '.join(engine.GROUPS)}; none for one figure")
    since: datetime | None = Field(None, description="occurred_at from (included)")
    until: datetime | None = Field(None, description="occurred_at to (excluded)")
    channel: str = ""
    source: str = ""
    touchpoint: str = ""
    segment: str = Field("", description="The customer's segment")
    theme_id: int | None = Field(
        None, description="Items with a counted mention of the theme or its sub-themes"
    )
    sentiment: str = Field("", description=f"One of {', '.join(engine.SENTIMENTS)}")


class GroupOut(Schema):
    group: str = Field(
        ..., description='"all" without group_by; 2026-01 for a month, 2026-Q1, a week\'s Monday'
    )
    value: float | None
    ci_low: float | None = Field(..., description="95% confidence interval (null for volume or n=1 means)")
    ci_high: float | None
    n: int
    too_few: bool = Field(
        ..., description=f"n below {engine.MIN_N}: the value is shown but not to be trusted"
    )
    extra: dict[str, float | None] = Field(
        ..., description="nps: promoters/detractors %; csat: mean and its CI; ces: easy % and its CI"
    )


class MetricOut(Schema):
    metric: str
    group_by: str | None
    time_zone: str = Field(..., description="The workspace's time zone, in which weeks/months/quarters start")
    results: list[GroupOut]


@router.get(
    "/metrics",
    response=MetricOut,
    auth=read_key,
    summary="A metric with its confidence intervals, per group",
    description="400 for an unknown metric, group_by or sentiment (the message lists the choices).",
)
def get_metric(request, q: Query[MetricQuery]):
    filters = engine.MetricFilter(
        since=q.since,
        until=q.until,
        channel=q.channel,
        source=q.source,
        touchpoint=q.touchpoint,
        segment=q.segment,
        theme_id=q.theme_id,
        sentiment=q.sentiment,
    )
    result = engine.metric(
        workspace=request.auth.workspace, metric=q.metric, filters=filters, group_by=q.group_by or None
    )
    return {
        "metric": result.metric,
        "group_by": result.group_by,
        "time_zone": result.time_zone,
        "results": [r.as_dict() for r in result.results],
    }
