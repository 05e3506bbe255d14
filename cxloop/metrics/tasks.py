"""The metrics scheduler: metric alerts (alerts.py) and scheduled reports (reports.py) run when due, without
cron.

How it works
- Every alert and report keeps `next_run_at` (an alert: 07:00 workspace time on the first day of its next
  week or month; a report: Monday or the 1st at 08:00 workspace time). Disabled alerts have none.
- `metrics_tick` (a Django task) runs `run_due()`: each alert and report whose next_run_at has come is
  claimed by a conditional UPDATE that moves next_run_at to the following run (`…filter(pk=…,
  next_run_at=<the value read>).update(…)`: only one tick can win an item, so two ticks at the same moment
  or a tick and a cron call never run it twice), then checked or sent. One item's failure is logged and
  recorded on it; the others still run. A run missed while no worker ran (a week of downtime) is made once,
  for the latest complete period, not once per missed period.
- After its run the tick queues the next one (`schedule_tick`) with run_after = the earliest next_run_at,
  but no later than TICK_EVERY (10 minutes) from now, so an item created meanwhile waits at most that
  long. Only when none is pending already: at most one tick waits in the queue (two workers starting at
  the same moment may queue two; each then sees the other and the chain goes back to one).
- The rows of finished ticks are dropped from the task queue after a day (failed ones after a week).
- The chain starts when the worker starts (`cxloop worker` calls `ensure_tick()`) and whenever an alert or
  report is saved or enabled, so it heals itself if a tick was lost.
- Without a worker, `cxloop manage metrics_tick` (a cron job, e.g. every 10 minutes) runs what is due.
- On a backend that cannot defer a task (the tests' immediate backend, CXLOOP_TASKS=immediate) the tick
  never queues itself again: it would run inline, forever. Tests call `run_due(now=…)` directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import task

log = logging.getLogger(__name__)

TICK_EVERY = timedelta(minutes=10)
TICK_SOONEST = timedelta(seconds=30)
KEEP_DONE = timedelta(days=1)  # finished ticks' rows in the task queue
KEEP_FAILED = timedelta(days=7)
BATCH = 200  # items claimed per tick; more due ones wait for the next tick (queued at once)


@dataclass
class TickResult:
    alerts: list[int] = field(default_factory=list)  # ids checked
    reports: list[int] = field(default_factory=list)  # ids sent
    failed: list[str] = field(default_factory=list)
    more: bool = False  # BATCH reached: more items may be due

    def __str__(self) -> str:
        text = f"{len(self.alerts)} alert(s) checked, {len(self.reports)} report(s) sent"
        return text + (f", {len(self.failed)} failed" if self.failed else "")


def _claim(model, item, after: datetime) -> bool:
    """Move the item's next_run_at from the value we read to `after`; False when another tick did first."""
    return bool(model.objects.filter(pk=item.pk, next_run_at=item.next_run_at).update(next_run_at=after))


def run_due(*, now: datetime | None = None) -> TickResult:
    """Run every alert check and report that is due at `now` (see the module's docstring)."""
    from . import alerts, reports
    from .models import MetricAlert, ScheduledReport

    now = now or timezone.now()
    result = TickResult()
    due_alerts = list(
        MetricAlert.objects.filter(enabled=True, next_run_at__lte=now)
        .select_related("workspace")
        .order_by("next_run_at", "pk")[:BATCH]
    )
    for alert in due_alerts:
        if not _claim(MetricAlert, alert, alerts.next_check_at(alert.every, now, alert.workspace.zone)):
            continue
        try:
            alerts.alert_check(alert=alert, now=now)
            result.alerts.append(alert.pk)
        except Exception as exc:  # one alert's failure must not stop the others
            log.exception("metric alert %s: the scheduled check failed", alert.pk)
            result.failed.append(f"alert {alert.pk}: {exc}")
            MetricAlert.objects.filter(pk=alert.pk).update(
                last_checked_at=now, last_result={"status": "error", "message": f"The check failed: {exc}"}
            )
    due_reports = list(
        ScheduledReport.objects.filter(next_run_at__lte=now)
        .select_related("workspace")
        .order_by("next_run_at", "pk")[:BATCH]
    )
    for report in due_reports:
        after = reports.next_send_at(report.frequency, now, report.workspace.zone)
        if not _claim(ScheduledReport, report, after):
            continue
        try:
            reports.report_send(report=report, now=now)
            result.reports.append(report.pk)
        except Exception as exc:  # recorded on the report, shown on its page
            log.exception("scheduled report %s: sending failed", report.pk)
            result.failed.append(f"report {report.pk}: {exc}")
            ScheduledReport.objects.filter(pk=report.pk).update(last_error=f"Sending failed: {exc}"[:1000])
    result.more = len(due_alerts) >= BATCH or len(due_reports) >= BATCH
    return result


def next_due(*, now: datetime) -> datetime:
    """When the next tick should run: the earliest next_run_at, between TICK_SOONEST and TICK_EVERY away."""
    from django.db.models import Min

    from .models import MetricAlert, ScheduledReport

    candidates = [
        MetricAlert.objects.filter(enabled=True).aggregate(at=Min("next_run_at"))["at"],
        ScheduledReport.objects.aggregate(at=Min("next_run_at"))["at"],
        now + TICK_EVERY,
    ]
    return max(now + TICK_SOONEST, min(c for c in candidates if c is not None))


def _can_schedule() -> bool:
    return bool(metrics_tick.get_backend().supports_defer)


def _tick_results():
    """The database queue's rows of this task, or None on another backend."""
    if metrics_tick.get_backend().__class__.__module__.split(".")[0] != "django_tasks_db":
        return None
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=metrics_tick.module_path)


def _tick_pending(now: datetime) -> bool:
    """Is a tick already waiting in the database queue? (Other backends cannot say: assume not.) Also
    drops the finished ticks' rows (one every TICK_EVERY): successful ones after KEEP_DONE, failed ones
    after KEEP_FAILED."""
    from django_tasks.base import TaskResultStatus

    rows = _tick_results()
    if rows is None:
        return False
    rows.filter(status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - KEEP_DONE).delete()
    rows.filter(status=TaskResultStatus.FAILED, finished_at__lt=now - KEEP_FAILED).delete()
    return rows.filter(status=TaskResultStatus.READY).exists()


def schedule_tick(*, now: datetime | None = None, soon: bool = False) -> bool:
    """Queue the next tick unless one is pending or the backend cannot defer. True when one was queued."""
    now = now or timezone.now()
    if not _can_schedule() or _tick_pending(now):
        return False
    at = now + TICK_SOONEST if soon else next_due(now=now)
    metrics_tick.using(run_after=at).enqueue()
    return True


def ensure_tick() -> bool:
    """Start the scheduler's chain if it is not running (the worker's start; saving an alert or report)."""
    try:
        return schedule_tick()
    except Exception:  # never break a page or the worker's start over the schedule
        log.exception("metrics scheduler: could not queue a tick")
        return False


@task()
def metrics_tick() -> str:
    """Run what is due, then queue the next tick (not on a backend that cannot defer)."""
    result = None
    try:
        result = run_due()
    finally:  # even when the run failed: the chain goes on
        try:
            schedule_tick(soon=bool(result and result.more))
        except Exception:
            log.exception("metrics scheduler: could not queue the next tick")
    return str(result)
