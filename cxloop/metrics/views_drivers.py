"""Dashboards › Key drivers: what moves NPS or CSAT (cxloop/metrics/drivers.py), as the driver matrix
(importance × performance, four quadrants) and a table with each driver's figures and revenue at risk."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm
from cxloop.core import charts
from cxloop.feedback.models import Channel

from . import drivers as analysis
from .engine import MetricFilter

OUTCOMES = (("nps", "NPS"), ("csat", "CSAT"))
PERIODS = (("90", "Last 90 days", 90), ("12m", "Last 12 months", 365), ("all", "All time", None))
DEFAULT_PERIOD = "90"
CORNERS = ("Maintain", "Keep", "Low priority", "Fix now")  # top left, top right, bottom left, bottom right


def _choice(value, allowed, default: str) -> str:
    return value if value in allowed else default


def _matrix(result: analysis.DriverResult) -> charts.Chart:
    unit = "NPS" if result.outcome == "nps" else "CSAT %"
    points = [
        charts.ScatterPoint(
            d.name,
            d.share or 0.0,
            d.performance,
            d.performance_low,
            d.performance_high,
            extra=(d.quadrant, str(d.n_with)),
        )
        for d in result.drivers
    ]
    return charts.quadrant_chart(
        f"Driver matrix of {unit}",
        points,
        x_split=result.mean_importance or 0.0,
        y_split=result.mean_performance or 0.0,
        x_label="Importance (% of R²)",
        y_label=f"Performance ({unit} of its items; answers: mean 0–100)",
        corners=CORNERS,
        headers=["Driver", "Importance (% of R²)", "Performance", "95% CI", "Quadrant", "Items"],
    )


@require_GET
@workspace_view(Perm.VIEW_DATA)
def drivers(request):
    outcome = _choice(request.GET.get("outcome"), dict(OUTCOMES), "nps")
    period = _choice(request.GET.get("period"), {p[0] for p in PERIODS}, DEFAULT_PERIOD)
    channel = _choice(request.GET.get("channel"), Channel.values, "")
    days = next(d for key, _, d in PERIODS if key == period)
    since = timezone.now() - timedelta(days=days) if days else None
    result = analysis.key_drivers(
        workspace=request.workspace, outcome=outcome, filters=MetricFilter(since=since, channel=channel)
    )
    return render(
        request,
        "metrics/drivers.html",
        {
            "result": result,
            "chart": _matrix(result) if result.drivers else None,
            "outcome": outcome,
            "outcome_label": dict(OUTCOMES)[outcome],
            "period": period,
            "channel": channel,
            "outcomes": OUTCOMES,
            "periods": [(key, label) for key, label, _ in PERIODS],
            "channels": Channel.choices,
            "min_model_n": analysis.MIN_MODEL_N,
            "min_driver_n": analysis.MIN_DRIVER_N,
        },
    )
