"""/api/v1/targets: goals for metrics with their status now (cxloop/metrics/targets.py)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Router, Schema, Status

from cxloop.accounts.api_auth import read_key, write_key

from . import targets
from .models import MetricTarget

router = Router(tags=["metrics"])

_STATUS_DOC = (
    "on_track, at_risk (below but within the 95% interval), off_track (significantly below), too_few, no_data"
)


class TargetIn(Schema):
    name: str = Field(..., max_length=120)
    metric: str = Field(..., description=f"One of {', '.join(targets.TARGET_METRICS)}")
    target: float = Field(..., description="Reach or beat: NPS points, CSAT %, CES mean (1–7), rating mean")
    period: str = Field(
        MetricTarget.Period.QUARTER, description=f"One of {', '.join(MetricTarget.Period.values)}"
    )
    filters: dict[str, str] = Field(
        default_factory=dict, description=f"A slice of the feedback: {', '.join(targets.FILTER_KEYS)}"
    )


class TargetOut(Schema):
    id: int
    name: str
    metric: str
    target: float
    period: str
    filters: dict[str, str]
    status: str = Field(..., description=_STATUS_DOC)
    explanation: str
    since: datetime = Field(..., description="The period the figure covers, from …")
    until: datetime = Field(..., description="… to now")
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int


def _out(s: targets.TargetStatus) -> dict:
    t, r = s.target, s.result
    return {
        "id": t.pk,
        "name": t.name,
        "metric": t.metric,
        "target": t.target,
        "period": t.period,
        "filters": t.filters,
        "status": s.status,
        "explanation": s.explanation,
        "since": s.since,
        "until": s.until,
        "value": r.value if r else None,
        "ci_low": r.ci_low if r else None,
        "ci_high": r.ci_high if r else None,
        "n": r.n if r else 0,
    }


@router.get("/targets", response=list[TargetOut], auth=read_key, summary="Targets and where each stands")
def list_targets(request):
    return [_out(s) for s in targets.targets_with_status(workspace=request.auth.workspace)]


@router.post(
    "/targets",
    response={201: TargetOut},
    auth=write_key,
    summary="Set a target",
    description="400 for an unknown metric, period or filter, or a target outside the metric's range; "
    "409 when the name is taken.",
)
def create_target(request, payload: TargetIn):
    saved = targets.target_save(workspace=request.auth.workspace, **payload.dict())
    return Status(201, _out(targets.target_status(target=saved)))


@router.put("/targets/{int:target_id}", response=TargetOut, auth=write_key, summary="Change a target")
def update_target(request, target_id: int, payload: TargetIn):
    saved = targets.target_save(workspace=request.auth.workspace, target_id=target_id, **payload.dict())
    return _out(targets.target_status(target=saved))


@router.delete("/targets/{int:target_id}", response={204: None}, auth=write_key, summary="Remove a target")
def delete_target(request, target_id: int):
    targets.target_delete(workspace=request.auth.workspace, target_id=target_id)
    return Status(204, None)
