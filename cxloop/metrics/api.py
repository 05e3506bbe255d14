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
    then_by: str | None = Field(None, description="A second group (each result then has group2)")
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
    region: str = Field("", description="The customer's region")
    country: str = Field("", description="The customer's country (ISO 3166-1 alpha-2)")
    plan: str = Field("", description="The customer's plan")
    answer_key: str = Field(
        "",
        description="A question's key: answer metrics read only its answers (metric=mean needs it); "
        "other metrics count the items that answered it",
    )

    def filters(self) -> engine.MetricFilter:
        return engine.MetricFilter(
            since=self.since,
            until=self.until,
            channel=self.channel,
            source=self.source,
            touchpoint=self.touchpoint,
            segment=self.segment,
            theme_id=self.theme_id,
            sentiment=self.sentiment,
            region=self.region,
            country=self.country,
            plan=self.plan,
            answer_key=self.answer_key,
        )


class WeightedQuery(MetricQuery):
    weight: str | None = Field(
        None,
        description=(
            f"Weight each answer by a customer column ({', '.join(engine.WEIGHTS)}); answers without one are "
            "left out, volume becomes the value represented, extra has weight_total and n_effective"
        ),
    )


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
        ...,
        description=(
            "nps: promoters/detractors %; csat: mean and its CI; ces: easy % and its CI; "
            "theme_share: items mentioning the theme"
        ),
    )
    group2: str | None = Field(None, description="The second group, with then_by")


class MetricOut(Schema):
    metric: str
    group_by: str | None
    then_by: str | None = None
    weighted_by: str | None = None
    time_zone: str = Field(..., description="The workspace's time zone, in which weeks/months/quarters start")
    results: list[GroupOut]


@router.get(
    "/metrics",
    response=MetricOut,
    auth=read_key,
    summary="A metric with its confidence intervals, per group",
    description="400 for an unknown metric, group_by or sentiment (the message lists the choices).",
)
def get_metric(request, q: Query[WeightedQuery]):
    result = engine.metric(
        workspace=request.auth.workspace,
        metric=q.metric,
        filters=q.filters(),
        group_by=q.group_by or None,
        then_by=q.then_by or None,
        weight=q.weight or None,
    )
    return {
        "metric": result.metric,
        "group_by": result.group_by,
        "then_by": result.then_by,
        "weighted_by": result.weighted_by,
        "time_zone": result.time_zone,
        "results": [r.as_dict() for r in result.results],
    }


class ChangeQuery(MetricQuery):
    against: str = Field(
        "previous", description="previous (the period of the same length before since) or rest"
    )


class ChangeOut(Schema):
    group: str
    current: GroupOut
    baseline: GroupOut = Field(..., description="The previous period, or the rest of the selection")
    difference: float | None = Field(..., description="current − baseline (points for NPS and shares)")
    ci_low: float | None = Field(..., description="95% interval of the difference")
    ci_high: float | None
    p_value: float | None
    test: str = Field(..., description="The test that gave p_value")
    significant: bool = Field(..., description="p < 0.05 and neither side has too few answers")
    direction: str = Field(..., description="up, down, or flat (no significant change)")


class ChangesOut(Schema):
    metric: str
    group_by: str | None
    against: str
    results: list[ChangeOut]


@router.get(
    "/metrics/changes",
    response=ChangesOut,
    auth=read_key,
    summary="Is it a change? A metric now against the previous period or the rest, with its test",
    description=(
        "against=previous compares since…until with the period of the same length before it (both needed); "
        "against=rest compares each group with the rest of the selection (needs group_by). "
        "Significant changes come first. Tests: NPS/sentiment a two-sample z-test on the +1/0/−1 score; "
        "CSAT and theme_share a two-proportion z-test; CES/rating Welch's t-test; "
        "volume the exact test of two Poisson counts."
    ),
)
def get_changes(request, q: Query[ChangeQuery]):
    changes = engine.compare(
        workspace=request.auth.workspace,
        metric=q.metric,
        filters=q.filters(),
        group_by=q.group_by or None,
        against=q.against,
    )
    return {
        "metric": q.metric,
        "group_by": q.group_by or None,
        "against": q.against,
        "results": [c.as_dict() for c in changes],
    }


class DistributionQuery(MetricQuery):
    metric: str = Field("", description="Not used")
    key: str = Field(..., description="The question's key (an answer key)")


class ShareOut(Schema):
    value: str = Field(..., description='A score ("9"), number, yes/no as 1/0, or a choice')
    count: int
    share: float | None = Field(
        ..., description="% of the answers (multi-choice shares add up to more than 100)"
    )
    ci_low: float | None = Field(..., description="Wilson 95% interval")
    ci_high: float | None


class DistributionOut(Schema):
    key: str
    types: list[str] = Field(..., description="The answers' types (nps, rating, choice, …)")
    n: int
    too_few: bool
    mean: GroupOut | None = Field(..., description="Numeric answers: their mean with its t interval")
    results: list[ShareOut]


@router.get(
    "/metrics/distribution",
    response=DistributionOut,
    auth=read_key,
    summary="Any question's answers, value by value or choice by choice, with their shares",
    description="The filters of /metrics apply (answer_key is the `key`).",
)
def get_distribution(request, q: Query[DistributionQuery]):
    result = engine.distribution(workspace=request.auth.workspace, key=q.key, filters=q.filters())
    return {
        "key": result.key,
        "types": result.types,
        "n": result.n,
        "too_few": result.too_few,
        "mean": result.mean.as_dict() if result.mean else None,
        "results": [s.__dict__ for s in result.shares],
    }
