"""Metric alerts: "tell me when NPS of email drops significantly" (services and selectors in one module, as
targets.py: the feature is small).

A check (`alert_check`) takes the last complete week (Monday 00:00 to Monday 00:00) or calendar month in the
workspace's time zone and compares it with the period of the same length just before it through
`engine.compare(against="previous")`: for a week, the week before; for a month, the same number of days just
before its 1st (31 days before 1 August: 1 to 31 July; 31 days before 1 March: 29 January to 28 February).
A week with a clock change lasts 167 or 169 hours, and so does the stretch it is compared with, whose ends
are then an hour off midnight.
The alert fires when the change is `significant` (p < 0.05 with enough answers on both sides; see
engine.compare) in the watched direction (drop, rise or both), and never twice for the same period
(`last_fired_period`, claimed by a conditional UPDATE, so two checks at the same moment send once). Firing
writes a notification for every recipient who is still a member (cxloop/notifications) and sends each one
an email; the message names the figures, their intervals, the test and its p-value, and links to the
Explorer with the slice and both periods.

Scheduled checks run at CHECK_HOUR (07:00, workspace time) on the first day of the next period, through the
metrics scheduler (cxloop/metrics/tasks.py). "Check now" on the page runs the same check at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from cxloop.accounts.models import Membership
from cxloop.core.exceptions import Conflict, NotFound, ServiceError

from . import engine, formatting
from .formatting import fmt, fmt_diff, fmt_interval
from .models import MetricAlert
from .slices import clean_name, clean_slice

log = logging.getLogger(__name__)

ALERT_METRICS = {
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "CES",
    "rating": "Star rating",
    "sentiment": "Sentiment index",
    "volume": "Volume",
}
SLICE_KEYS = ("channel", "touchpoint", "segment", "region", "source")
MAX_ALERTS = 50
MAX_RECIPIENTS = 50
CHECK_HOUR = 7  # workspace time, on the first day of the next period
_WATCHED = {"drop": ("down",), "rise": ("up",), "both": ("up", "down")}
STATUS_LABELS = {
    "fired": "Sent",
    "already": "Sent before",
    "quiet": "No significant change",
    "other_way": "Changed the other way",
    "too_few": "Too few answers",
    "no_data": "No answers",
    "error": "Check failed",
}


# -- formatting (cxloop/metrics/formatting.py; emails write p-values with spaces) --------------------------
def fmt_p(p: float | None) -> str:
    return formatting.fmt_p(p, spaced=True)


def describe_filters(filters: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in filters.items()) or "all feedback"


# -- periods -------------------------------------------------------------------------------------------------
def _midnight(day: date, tz) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def last_complete_period(every: str, now: datetime, tz) -> tuple[datetime, datetime]:
    """[since, until) of the last complete week (Monday to Monday) or calendar month before `now`, at
    midnight in the time zone."""
    today = now.astimezone(tz).date()
    if every == MetricAlert.Every.WEEK:
        monday = today - timedelta(days=today.weekday())
        return _midnight(monday - timedelta(days=7), tz), _midnight(monday, tz)
    first = today.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return _midnight(previous, tz), _midnight(first, tz)


def next_check_at(every: str, now: datetime, tz) -> datetime:
    """The next scheduled check after `now`: CHECK_HOUR on the next Monday (week) or 1st (month), workspace
    time; today's when that hour is still to come."""
    today = now.astimezone(tz).date()
    if every == MetricAlert.Every.WEEK:
        day = today - timedelta(days=today.weekday())  # this week's Monday
        step = lambda d: d + timedelta(days=7)  # noqa: E731
    else:
        day = today.replace(day=1)
        step = _first_of_next_month
    when = datetime.combine(day, time(CHECK_HOUR), tzinfo=tz)
    while when <= now:
        day = step(day)
        when = datetime.combine(day, time(CHECK_HOUR), tzinfo=tz)
    return when


# -- checking ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AlertCheck:
    alert: MetricAlert
    since: datetime
    until: datetime  # excluded
    change: engine.Change | None
    status: str  # fired, already, quiet (no significant change), other_way, too_few, no_data
    message: str
    notified: int = 0
    emailed: int = 0

    @property
    def fired(self) -> bool:
        return self.status == "fired"

    @property
    def period(self) -> str:
        last = (self.until - timedelta(days=1)).date()
        return f"{self.since.date().isoformat()} to {last.isoformat()}"


def explorer_url(alert: MetricAlert, since: datetime, until: datetime) -> str:
    """The Explorer with the alert's metric and slice over the period and the one before, by week or month."""
    length = until - since
    params = {
        "metric": alert.metric,
        "group_by": alert.every,
        "period": "custom",
        "since": (since - length).date().isoformat(),
        "until": (until - timedelta(days=1)).date().isoformat(),
        **alert.filters,
    }
    return "/dashboards/explorer/?" + urlencode(params)


def _message(alert: MetricAlert, change: engine.Change, since: datetime, until: datetime) -> str:
    m = alert.metric
    name = ALERT_METRICS.get(m, m)
    cur, base = change.current, change.baseline
    length = until - since
    before = f"{(since - length).date().isoformat()} to {(since - timedelta(days=1)).date().isoformat()}"
    now_text = f"{(until - timedelta(days=1)).date().isoformat()}"
    verdict = "significant" if change.significant else "not significant"
    return (
        f"{name} ({describe_filters(alert.filters)}) was {fmt(m, cur.value)} from {since.date().isoformat()} "
        f"to {now_text} (95% CI {fmt_interval(m, cur.ci_low, cur.ci_high)}, n = {cur.n:,}) against "
        f"{fmt(m, base.value)} from {before} (95% CI {fmt_interval(m, base.ci_low, base.ci_high)}, "
        f"n = {base.n:,}): a change of {fmt_diff(m, change.difference)} (95% CI "
        f"{_diff_ci(m, change)}), "
        f"{verdict} ({change.test}, {fmt_p(change.p_value)})."
    )


def _diff_ci(metric: str, change: engine.Change) -> str:
    if change.ci_low is None or change.ci_high is None:
        return "–"
    low, high = fmt_diff(metric, change.ci_low).split(" ")[0], fmt_diff(metric, change.ci_high)
    return f"{low} to {high}"


def _verdict(alert: MetricAlert, change: engine.Change | None) -> tuple[str, str]:
    """(status, short reason) of a change before the firing rule."""
    if change is None:
        return "no_data", "No answers in this period or the one before."
    if not change.significant:
        if alert.metric != "volume" and (change.current.too_few or change.baseline.too_few):
            return "too_few", (
                f"Too few answers to test a change (n = {change.current.n} now, {change.baseline.n} before; "
                f"at least {engine.MIN_N} on each side)."
            )
        return "quiet", "No significant change."
    if change.direction not in _WATCHED[alert.watch]:
        moved = "rise" if change.direction == "up" else "drop"
        return "other_way", f"A significant {moved}, but this alert watches for {alert.get_watch_display()}."
    return "fired", "Significant change: alert sent."


def _recipients(alert: MetricAlert):
    """Recipients who are still members of the workspace (one query)."""
    return [
        m.user
        for m in Membership.objects.filter(workspace_id=alert.workspace_id, user_id__in=alert.recipients)
        .select_related("user")
        .order_by("user__email")
    ]


def _send(alert: MetricAlert, title: str, message: str, url: str) -> tuple[int, int]:
    """Notifications for the recipients, then one email to each. Returns (notified, emailed)."""
    from cxloop.notifications.models import Notification
    from cxloop.notifications.services import notify

    people = _recipients(alert)
    notified = notify(
        workspace=alert.workspace,
        user_ids=[u.pk for u in people],
        kind=Notification.Kind.METRIC_ALERT,
        title=title,
        body=message,
        url=url,
    )
    link = settings.BASE_URL + url
    mails = [
        EmailMessage(
            subject=f"{alert.workspace.name}: {title}",
            body=(
                f"{message}\n\nSee the figures: {link}\n\n"
                f"You receive this as a recipient of the alert “{alert.name}” in {alert.workspace.name}. "
                f"Change or remove it on {settings.BASE_URL}/dashboards/alerts/\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[u.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
        for u in people
        if u.email
    ]
    emailed = 0
    if mails:
        try:
            emailed = get_connection().send_messages(mails) or 0
        except Exception:  # the notifications stand; the mail server's failure is logged
            log.exception("metric alert %s: sending its emails failed", alert.pk)
    return len(notified), emailed


def alert_check(*, alert: MetricAlert, now: datetime | None = None) -> AlertCheck:
    """Check the alert on its last complete period, fire it when due (see the module's docstring) and
    record the result on the alert."""
    now = now or timezone.now()
    tz = alert.workspace.zone
    since, until = last_complete_period(alert.every, now, tz)
    filters = engine.MetricFilter(since=since, until=until, **{k: str(v) for k, v in alert.filters.items()})
    changes = engine.compare(
        workspace=alert.workspace, metric=alert.metric, filters=filters, against="previous"
    )
    change = changes[0] if changes else None
    status, reason = _verdict(alert, change)
    message = reason if change is None else f"{reason} {_message(alert, change, since, until)}"
    notified = emailed = 0
    if status == "fired":
        claimed = (
            MetricAlert.objects.filter(pk=alert.pk)
            .exclude(last_fired_period=since.date())
            .update(last_fired_period=since.date(), last_fired_at=now)
        )
        if not claimed:
            status, message = (
                "already",
                f"Already sent for this period. {_message(alert, change, since, until)}",
            )
        else:
            alert.last_fired_period, alert.last_fired_at = since.date(), now
            name = ALERT_METRICS.get(alert.metric, alert.metric)
            moved = "rose" if change.direction == "up" else "dropped"
            title = f"{alert.name}: {name} {moved} {fmt_diff(alert.metric, change.difference)}"
            body = _message(alert, change, since, until)
            notified, emailed = _send(alert, title, body, explorer_url(alert, since, until))
            message = f"{reason} {body}"
    result = AlertCheck(alert, since, until, change, status, message, notified, emailed)
    alert.last_checked_at = now
    alert.last_result = {
        "status": status,
        "message": message,
        "period": result.period,
        "p_value": change.p_value if change else None,
        "test": change.test if change else "",
        "notified": notified,
        "emailed": emailed,
    }
    alert.save(update_fields=["last_checked_at", "last_result"])
    return result


# -- selectors -----------------------------------------------------------------------------------------------
def alerts_list(*, workspace) -> list[MetricAlert]:
    return list(MetricAlert.objects.filter(workspace=workspace).select_related("workspace"))


def alert_get(*, workspace, alert_id: int) -> MetricAlert:
    found = MetricAlert.objects.filter(workspace=workspace, pk=alert_id).select_related("workspace").first()
    if found is None:
        raise NotFound("No such alert.")
    return found


def recipient_names(*, workspace, alerts: list[MetricAlert]) -> dict[int, str]:
    """{user id: name} of every member named in the alerts (one query)."""
    ids = {int(u) for a in alerts for u in a.recipients}
    if not ids:
        return {}
    return {
        m.user_id: m.user.display_name
        for m in Membership.objects.filter(workspace=workspace, user_id__in=ids).select_related("user")
    }


# -- services ------------------------------------------------------------------------------------------------
def _clean(*, workspace, name: str, metric: str, filters: dict | None, every: str, watch: str, recipients):
    name = clean_name(name, what="alert")
    if metric not in ALERT_METRICS:
        raise ServiceError(f"Alerts watch one of {', '.join(ALERT_METRICS)}.", field="metric")
    if every not in MetricAlert.Every.values:
        raise ServiceError(f"Check every: one of {', '.join(MetricAlert.Every.values)}.", field="every")
    if watch not in MetricAlert.Watch.values:
        raise ServiceError(f"Watch for: one of {', '.join(MetricAlert.Watch.values)}.", field="watch")
    clean_filters = clean_slice(filters, SLICE_KEYS)
    ids = []
    for raw in recipients or []:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            raise ServiceError(
                "Recipients are members, given by their user ids.", field="recipients"
            ) from None
    ids = sorted(set(ids))
    if not ids:
        raise ServiceError("Choose at least one member to alert.", field="recipients")
    if len(ids) > MAX_RECIPIENTS:
        raise ServiceError(f"An alert has at most {MAX_RECIPIENTS} recipients.", field="recipients")
    members = set(
        Membership.objects.filter(workspace=workspace, user_id__in=ids).values_list("user_id", flat=True)
    )
    if set(ids) - members:
        raise ServiceError("Every recipient must be a member of this workspace.", field="recipients")
    return {
        "name": name,
        "metric": metric,
        "filters": clean_filters,
        "every": every,
        "watch": watch,
        "recipients": ids,
    }


def _schedule(alert: MetricAlert, now: datetime) -> None:
    alert.next_run_at = next_check_at(alert.every, now, alert.workspace.zone) if alert.enabled else None


def alert_save(
    *,
    workspace,
    actor=None,
    alert_id: int | None = None,
    name: str,
    metric: str,
    recipients,
    filters: dict | None = None,
    every: str = MetricAlert.Every.WEEK,
    watch: str = MetricAlert.Watch.DROP,
    enabled: bool = True,
) -> MetricAlert:
    """Create an alert, or change one (alert_id). ServiceError for bad input (recipients must be members of
    the workspace), Conflict for a name in use. Schedules its next check."""
    from .tasks import ensure_tick

    fields = _clean(
        workspace=workspace,
        name=name,
        metric=metric,
        filters=filters,
        every=every,
        watch=watch,
        recipients=recipients,
    )
    if alert_id is None:
        if MetricAlert.objects.filter(workspace=workspace).count() >= MAX_ALERTS:
            raise ServiceError(f"A workspace has at most {MAX_ALERTS} alerts.", field="name")
        alert = MetricAlert(workspace=workspace, created_by=actor, **fields)
    else:
        alert = alert_get(workspace=workspace, alert_id=alert_id)
        for key, val in fields.items():
            setattr(alert, key, val)
    alert.enabled = bool(enabled)
    _schedule(alert, timezone.now())
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:
        raise Conflict(f"An alert named “{fields['name']}” exists already.", field="name") from None
    transaction.on_commit(ensure_tick)
    return alert


def alert_set_enabled(*, workspace, alert_id: int, enabled: bool) -> MetricAlert:
    from .tasks import ensure_tick

    alert = alert_get(workspace=workspace, alert_id=alert_id)
    alert.enabled = bool(enabled)
    _schedule(alert, timezone.now())
    alert.save(update_fields=["enabled", "next_run_at"])
    transaction.on_commit(ensure_tick)
    return alert


def alert_delete(*, workspace, alert_id: int) -> None:
    alert_get(workspace=workspace, alert_id=alert_id).delete()
