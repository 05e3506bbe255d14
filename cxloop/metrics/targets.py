"""Targets for metrics: save, delete, and each target's status now (services and selectors in one module:
the whole feature is small).

Status of a target (higher is better for every metric that takes one: NPS, CSAT % satisfied, CES mean on
1–7 where 7 is easiest, star rating, sentiment index), from the figure over the target's period and its 95%
interval (cxloop/metrics/engine.py):
    on_track   the figure reaches the target;
    at_risk    the figure is below the target but the interval still reaches it: the shortfall may be noise;
    off_track  the whole interval is below the target: significantly short;
    too_few    fewer than engine.MIN_N answers: no verdict;
    no_data    no answers in the period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from cxloop.core.exceptions import Conflict, NotFound, ServiceError

from . import engine
from .formatting import fmt
from .models import MetricTarget
from .slices import clean_name, clean_slice

TARGET_METRICS = {  # metric → (label, lowest, highest) of the figure a target is set on
    "nps": ("NPS", -100.0, 100.0),
    "csat": ("CSAT, % satisfied", 0.0, 100.0),
    "ces": ("CES, mean ease (1–7)", 1.0, 7.0),
    "rating": ("Star rating, mean", 0.0, 10.0),
    "sentiment": ("Sentiment index", -100.0, 100.0),
    "enps": ("eNPS", -100.0, 100.0),
    "response_rate": ("Response rate, %", 0.0, 100.0),
}
FILTER_KEYS = ("channel", "source", "touchpoint", "segment", "region", "country", "plan")
MAX_TARGETS = 50
STATUS_LABELS = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "too_few": "Too few answers",
    "no_data": "No answers yet",
}


@dataclass(frozen=True)
class TargetStatus:
    target: MetricTarget
    since: datetime
    until: datetime
    result: engine.GroupResult | None
    status: str
    explanation: str

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def gap(self) -> float | None:
        if self.result is None or self.result.value is None:
            return None
        return self.result.value - self.target.target


def period_window(period: str, now: datetime, tz) -> tuple[datetime, datetime]:
    """[since, until) of a target's period as of `now`: calendar periods start at midnight of their first
    day in the workspace's time zone."""
    local = now.astimezone(tz)
    if period == MetricTarget.Period.MONTH:
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    elif period == MetricTarget.Period.QUARTER:
        month = 3 * ((local.month - 1) // 3) + 1
        start = local.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        start = now - timedelta(days=int(period.rstrip("d")))
    return start, now


def target_status(*, target: MetricTarget, now: datetime | None = None) -> TargetStatus:
    """The target's figure over its period now, and its status (one engine query)."""
    now = now or timezone.now()
    since, until = period_window(target.period, now, target.workspace.zone)
    filters = engine.MetricFilter(since=since, until=until, **{k: str(v) for k, v in target.filters.items()})
    results = engine.metric(workspace=target.workspace, metric=target.metric, filters=filters).results
    result = results[0] if results else None
    goal = fmt(target.metric, target.target)
    if result is None or result.value is None:
        return TargetStatus(target, since, until, result, "no_data", "No answers in this period yet.")
    value = fmt(target.metric, result.value)
    interval = f"95% interval {fmt(target.metric, result.ci_low)} to {fmt(target.metric, result.ci_high)}"
    if result.too_few:
        status, text = "too_few", f"{value} from only {result.n} answers: too few to judge against {goal}."
    elif result.value >= target.target:
        status, text = "on_track", f"{value} ({interval}, n={result.n}) reaches the target of {goal}."
    elif result.ci_high is not None and result.ci_high >= target.target:
        status, text = (
            "at_risk",
            f"{value} ({interval}, n={result.n}) is below {goal}, but not significantly: it may be noise.",
        )
    else:
        status, text = "off_track", f"{value} ({interval}, n={result.n}) is significantly below {goal}."
    return TargetStatus(target, since, until, result, status, text)


def targets_list(*, workspace) -> list[MetricTarget]:
    return list(MetricTarget.objects.filter(workspace=workspace).select_related("workspace"))


def targets_with_status(*, workspace, now: datetime | None = None) -> list[TargetStatus]:
    """Every target of the workspace with its status: one query for the targets, one per target."""
    return [target_status(target=t, now=now) for t in targets_list(workspace=workspace)]


def target_get(*, workspace, target_id: int) -> MetricTarget:
    found = MetricTarget.objects.filter(workspace=workspace, pk=target_id).select_related("workspace").first()
    if found is None:
        raise NotFound("No such target.")
    return found


def _clean(*, name: str, metric: str, target, period: str, filters: dict | None) -> dict:
    name = clean_name(name, what="target")
    if metric not in TARGET_METRICS:
        raise ServiceError(f"Targets can be set on {', '.join(TARGET_METRICS)}.", field="metric")
    try:
        value = float(target)
    except (TypeError, ValueError):
        raise ServiceError("The target must be a number.", field="target") from None
    label, lo, hi = TARGET_METRICS[metric]
    if not math.isfinite(value) or not lo <= value <= hi:
        raise ServiceError(f"A target for {label} lies between {lo:g} and {hi:g}.", field="target")
    if period not in MetricTarget.Period.values:
        raise ServiceError(f"Period: one of {', '.join(MetricTarget.Period.values)}.", field="period")
    clean_filters = clean_slice(filters, FILTER_KEYS, check_channel=False)
    return {"name": name, "metric": metric, "target": value, "period": period, "filters": clean_filters}


def target_save(
    *,
    workspace,
    actor=None,
    target_id: int | None = None,
    name: str,
    metric: str,
    target,
    period: str = MetricTarget.Period.QUARTER,
    filters: dict | None = None,
) -> MetricTarget:
    """Create a target, or change one (target_id). ServiceError for bad input, Conflict for a name in use."""
    fields = _clean(name=name, metric=metric, target=target, period=period, filters=filters)
    if target_id is None:
        if MetricTarget.objects.filter(workspace=workspace).count() >= MAX_TARGETS:
            raise ServiceError(f"A workspace has at most {MAX_TARGETS} targets.", field="name")
        obj = MetricTarget(workspace=workspace, created_by=actor, **fields)
    else:
        obj = target_get(workspace=workspace, target_id=target_id)
        for key, val in fields.items():
            setattr(obj, key, val)
        obj.updated_at = timezone.now()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise Conflict(f"A target named “{fields['name']}” exists already.", field="name") from None
    return obj


def target_delete(*, workspace, target_id: int) -> None:
    obj = target_get(workspace=workspace, target_id=target_id)
    obj.delete()
