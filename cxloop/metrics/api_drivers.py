"""/api/v1/drivers: key driver analysis of NPS or CSAT in the key's workspace (cxloop/metrics/drivers.py)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Query, Router, Schema

from cxloop.accounts.api_auth import read_key

from . import drivers, engine

router = Router(tags=["metrics"])


class DriverQuery(Schema):
    outcome: str = Field("nps", description=f"The score to explain: one of {', '.join(drivers.OUTCOMES)}")
    since: datetime | None = Field(None, description="occurred_at from (included)")
    until: datetime | None = Field(None, description="occurred_at to (excluded)")
    channel: str = ""
    source: str = ""
    touchpoint: str = ""
    segment: str = Field("", description="The customer's segment")
    region: str = Field("", description="The customer's region")
    country: str = Field("", description="The customer's country (ISO 3166-1 alpha-2)")
    plan: str = Field("", description="The customer's plan")
    theme_id: int | None = Field(
        None, description="Items with a counted mention of the theme or its sub-themes"
    )
    sentiment: str = Field("", description=f"One of {', '.join(engine.SENTIMENTS)}")


class DriverOut(Schema):
    name: str = Field(..., description='A top-level theme, an answer key, or "Plan: pro" / "Segment: smb"')
    kind: str = Field(..., description="theme, answer, plan or segment")
    n_with: int = Field(..., description="Items with the theme / plan / segment, or answering the question")
    importance: float = Field(..., description="Its Shapley share of R² (LMG), in R² units")
    share: float | None = Field(..., description="importance as a percentage of the model's R²")
    coefficient: float = Field(..., description="Standardized coefficient in the model with every driver")
    direction: str = Field(..., description="up or down: the way more of it moves the outcome (flat if 0)")
    performance: float | None = Field(
        ...,
        description="Themes, plans, segments: the outcome among their items (NPS points or CSAT % "
        "top-2-box); answers: their mean on 0–100 of their scale",
    )
    performance_low: float | None = Field(..., description="95% confidence interval of performance")
    performance_high: float | None
    performance_unit: str
    quadrant: str = Field(
        ...,
        description="Fix now, Keep, Maintain or Low priority (split at the mean importance and performance)",
    )
    revenue_at_risk: float | None = Field(
        ...,
        description="Summed lifetime value of the distinct detractor customers among its items (NPS 0–6, "
        "CSAT bottom two points); null for answers or when no customer has a lifetime value",
    )
    customers_at_risk: int = Field(..., description="How many customers revenue_at_risk adds up")
    imputed: int = Field(..., description="Answers: items that did not answer and were given the mean")
    theme_id: int | None = Field(..., description="Themes: the theme's id (a filter of /api/v1/feedback)")
    reference: str = Field(..., description="Plans and segments: the level they are compared with")


class DriversOut(Schema):
    outcome: str
    n: int = Field(..., description="Items with an outcome answer in the selection (each item's first one)")
    k: int = Field(..., description="Drivers in the model")
    r2: float | None = Field(..., description="R² of the model with every driver")
    adjusted_r2: float | None
    method: str
    too_few: bool = Field(..., description=f"n below {drivers.MIN_MODEL_N}: computed, not to be trusted")
    reason: str = Field(..., description="Why there are no drivers, when there are none")
    overall: float | None = Field(..., description="The outcome of the whole selection, with its 95% CI")
    overall_low: float | None
    overall_high: float | None
    mean_importance: float | None = Field(..., description="Where the matrix splits: mean share of R² (%)")
    mean_performance: float | None = Field(..., description="Where the matrix splits: mean performance")
    revenue_known: bool = Field(..., description="Whether any customer of the selection has a lifetime value")
    left_out: list[str] = Field(..., description="Candidate drivers not in the model, each with why")
    drivers: list[DriverOut] = Field(..., description="Most important first")


@router.get(
    "/drivers",
    response=DriversOut,
    auth=read_key,
    summary="Key drivers of NPS or CSAT: importance, performance, quadrant and revenue at risk",
    description=(
        "Which themes, other numeric answers and customer plans/segments move the outcome: the Shapley "
        "decomposition of the R² of a least-squares regression (LMG), each driver's performance with its 95% "
        "interval and its quadrant of the driver matrix. 400 for an unknown outcome or sentiment."
    ),
)
def get_drivers(request, q: Query[DriverQuery]):
    filters = engine.MetricFilter(
        since=q.since,
        until=q.until,
        channel=q.channel,
        source=q.source,
        touchpoint=q.touchpoint,
        segment=q.segment,
        region=q.region,
        country=q.country,
        plan=q.plan,
        theme_id=q.theme_id,
        sentiment=q.sentiment,
    )
    result = drivers.key_drivers(workspace=request.auth.workspace, outcome=q.outcome, filters=filters)
    return {
        "outcome": result.outcome,
        "n": result.n,
        "k": result.k,
        "r2": result.r2,
        "adjusted_r2": result.adjusted_r2,
        "method": result.method,
        "too_few": result.too_few,
        "reason": result.reason,
        "overall": result.overall,
        "overall_low": result.overall_low,
        "overall_high": result.overall_high,
        "mean_importance": result.mean_importance,
        "mean_performance": result.mean_performance,
        "revenue_known": result.revenue_known,
        "left_out": result.left_out,
        "drivers": [d.as_dict() for d in result.drivers],
    }
