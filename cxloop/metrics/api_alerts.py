"""/api/v1/alerts and /api/v1/reports: metric alerts (alerts.py) and scheduled reports (reports.py), read with
a read key, set, checked, sent and removed with a write key. The workspace is always the key's."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Router, Schema, Status

from cxloop.accounts.api_auth import read_key, write_key

from . import alerts, reports
from .models import MetricAlert, ScheduledReport

router = Router(tags=["metrics"])


# -- alerts --------------------------------------------------------------------------------------------------
class AlertIn(Schema):
    name: str = Field(..., max_length=120)
    metric: str = Field(..., description=f"One of {', '.join(alerts.ALERT_METRICS)}")
    every: str = Field(MetricAlert.Every.WEEK, description="week or month: the period checked")
    watch: str = Field(MetricAlert.Watch.DROP, description="drop, rise or both")
    recipients: list[int] = Field(..., description="User ids of members of the workspace")
    filters: dict[str, str] = Field(
        default_factory=dict, description=f"A slice of the feedback: {', '.join(alerts.SLICE_KEYS)}"
    )
    enabled: bool = True


class AlertOut(Schema):
    id: int
    name: str
    metric: str
    every: str
    watch: str
    recipients: list[int]
    filters: dict[str, str]
    enabled: bool
    last_checked_at: datetime | None
    last_result: dict
    last_fired_at: datetime | None
    last_fired_period: date | None
    next_run_at: datetime | None


class CheckOut(Schema):
    status: str = Field(..., description="fired, already, quiet, other_way, too_few or no_data")
    fired: bool
    period: str
    message: str
    p_value: float | None
    test: str
    notified: int
    emailed: int


def _alert(a: MetricAlert) -> dict:
    return {f: getattr(a, f) for f in AlertOut.model_fields}


@router.get("/alerts", response=list[AlertOut], auth=read_key, summary="Metric alerts")
def list_alerts(request):
    return [_alert(a) for a in alerts.alerts_list(workspace=request.auth.workspace)]


@router.post(
    "/alerts",
    response={201: AlertOut},
    auth=write_key,
    summary="Set a metric alert",
    description="400 for an unknown metric, period, direction or filter, or a recipient who is not a member; "
    "409 when the name is taken.",
)
def create_alert(request, payload: AlertIn):
    return Status(201, _alert(alerts.alert_save(workspace=request.auth.workspace, **payload.dict())))


@router.put("/alerts/{int:alert_id}", response=AlertOut, auth=write_key, summary="Change a metric alert")
def update_alert(request, alert_id: int, payload: AlertIn):
    return _alert(alerts.alert_save(workspace=request.auth.workspace, alert_id=alert_id, **payload.dict()))


@router.delete("/alerts/{int:alert_id}", response={204: None}, auth=write_key, summary="Remove an alert")
def delete_alert(request, alert_id: int):
    alerts.alert_delete(workspace=request.auth.workspace, alert_id=alert_id)
    return Status(204, None)


@router.post(
    "/alerts/{int:alert_id}/check",
    response=CheckOut,
    auth=write_key,
    summary="Check an alert now",
    description="Checks the last complete period at once; a significant change in the watched direction is "
    "sent to the recipients, as a scheduled check would (never twice for one period).",
)
def check_alert(request, alert_id: int):
    alert = alerts.alert_get(workspace=request.auth.workspace, alert_id=alert_id)
    c = alerts.alert_check(alert=alert)
    return {
        "status": c.status,
        "fired": c.fired,
        "period": c.period,
        "message": c.message,
        "p_value": c.change.p_value if c.change else None,
        "test": c.change.test if c.change else "",
        "notified": c.notified,
        "emailed": c.emailed,
    }


# -- scheduled reports ---------------------------------------------------------------------------------------
class ReportIn(Schema):
    name: str = Field(..., max_length=120)
    frequency: str = Field(
        ScheduledReport.Frequency.WEEKLY, description="weekly (Monday) or monthly (the 1st)"
    )
    recipients: list[str] = Field(..., description=f"Email addresses, at most {reports.MAX_RECIPIENTS}")
    filters: dict[str, str] = Field(
        default_factory=dict, description=f"The overview's filters: {', '.join(reports.FILTER_KEYS)}"
    )


class ReportOut(Schema):
    id: int
    name: str
    frequency: str
    recipients: list[str]
    filters: dict[str, str]
    last_sent_at: datetime | None
    last_error: str
    next_run_at: datetime | None


def _report(r: ScheduledReport) -> dict:
    return {f: getattr(r, f) for f in ReportOut.model_fields}


@router.get("/reports", response=list[ReportOut], auth=read_key, summary="Scheduled reports")
def list_reports(request):
    return [_report(r) for r in reports.reports_list(workspace=request.auth.workspace)]


@router.post(
    "/reports",
    response={201: ReportOut},
    auth=write_key,
    summary="Schedule a report",
    description="400 for a bad frequency, filter or address (or more than 20); 409 when the name is taken.",
)
def create_report(request, payload: ReportIn):
    return Status(201, _report(reports.report_save(workspace=request.auth.workspace, **payload.dict())))


@router.delete("/reports/{int:report_id}", response={204: None}, auth=write_key, summary="Remove a report")
def delete_report(request, report_id: int):
    reports.report_delete(workspace=request.auth.workspace, report_id=report_id)
    return Status(204, None)
