"""Metric alerts: a significant change in the watched direction fires once per period (notifications and
emails), anything else does not; periods and schedules in the workspace's time zone; the scheduler's tick;
the page, its permissions and workspace isolation."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.test import override_settings

from cxloop.core.exceptions import Conflict, ServiceError
from cxloop.metrics import alerts, tasks
from cxloop.metrics.models import MetricAlert
from cxloop.metrics.tests.test_engine import make
from cxloop.notifications.models import Notification

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)  # a Wednesday: last complete week 9–15 Nov, before it 2–8 Nov
LAST_WEEK = datetime(2026, 11, 11, 12, tzinfo=UTC)
WEEK_BEFORE = datetime(2026, 11, 4, 12, tzinfo=UTC)


def nps(ws, *, promoters, detractors, at, channel="email"):
    for value, count in ((10, promoters), (0, detractors)):
        for _ in range(count):
            make(ws, ("nps", value), at=at, channel=channel)


def drop(ws, channel="email"):
    """NPS +75 on 40 answers the week before, −50 on 40 answers last week: a significant drop."""
    nps(ws, promoters=35, detractors=5, at=WEEK_BEFORE, channel=channel)
    nps(ws, promoters=10, detractors=30, at=LAST_WEEK, channel=channel)


def new_alert(cast, **kw):
    kw.setdefault("name", "NPS of email")
    kw.setdefault("metric", "nps")
    kw.setdefault("filters", {"channel": "email"})
    kw.setdefault("recipients", [cast.owner.pk, cast.analyst.pk])
    return alerts.alert_save(workspace=cast.workspace, actor=cast.owner, **kw)


# -- firing --------------------------------------------------------------------------------------------------
def test_a_significant_drop_notifies_and_emails_each_recipient(cast, login):
    drop(cast.workspace)
    alert = new_alert(cast)
    check = alerts.alert_check(alert=alert, now=NOW)
    assert check.fired and check.period == "2026-11-09 to 2026-11-15"
    assert check.change.direction == "down" and check.change.p_value < 0.05
    rows = Notification.objects.filter(workspace=cast.workspace).order_by("user_id")
    assert [n.user_id for n in rows] == sorted([cast.owner.pk, cast.analyst.pk])
    first = rows[0]
    assert first.kind == "metric_alert" and first.title.startswith("NPS of email: NPS dropped −125.0 points")
    assert first.url.startswith("/dashboards/explorer/?metric=nps&group_by=week&period=custom")
    assert (
        "since=2026-11-02" in first.url and "until=2026-11-15" in first.url and "channel=email" in first.url
    )
    assert check.change.test in first.body and "p < 0.001" in first.body and "n = 40" in first.body
    assert "a change of −125.0 points (95% CI −1" in first.body
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cast.owner.email, cast.analyst.email])
    assert "NPS of email" in mail.outbox[0].subject and check.change.test in mail.outbox[0].body
    assert "http://" in mail.outbox[0].body and "/dashboards/explorer/" in mail.outbox[0].body
    explorer = login(cast.owner).get(first.url)
    assert explorer.status_code == 200 and len(explorer.context["rows"]) == 2  # the two weeks compared
    alert.refresh_from_db()
    assert alert.last_fired_period == date(2026, 11, 9) and alert.last_result["status"] == "fired"
    assert alert.last_result["notified"] == 2 and alert.last_result["emailed"] == 2


def test_it_never_fires_twice_for_the_same_period(cast):
    drop(cast.workspace)
    alert = new_alert(cast)
    assert alerts.alert_check(alert=alert, now=NOW).fired
    again = alerts.alert_check(alert=MetricAlert.objects.get(pk=alert.pk), now=NOW + timedelta(hours=3))
    assert again.status == "already" and not again.fired
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2


def test_a_change_that_is_not_significant_does_not_fire(cast):
    nps(cast.workspace, promoters=20, detractors=20, at=WEEK_BEFORE)
    nps(cast.workspace, promoters=18, detractors=22, at=LAST_WEEK)
    check = alerts.alert_check(alert=new_alert(cast), now=NOW)
    assert check.status == "quiet" and not check.change.significant
    assert "not significant" in check.message and "p = " in check.message
    assert not Notification.objects.exists() and mail.outbox == []


def test_too_few_answers_do_not_fire_even_for_a_large_drop(cast):
    nps(cast.workspace, promoters=10, detractors=0, at=WEEK_BEFORE)
    nps(cast.workspace, promoters=0, detractors=10, at=LAST_WEEK)
    check = alerts.alert_check(alert=new_alert(cast), now=NOW)
    assert check.status == "too_few" and "n = 10 now, 10 before" in check.message
    assert not Notification.objects.exists() and mail.outbox == []


def test_a_rise_fires_only_alerts_that_watch_rises(cast):
    nps(cast.workspace, promoters=10, detractors=30, at=WEEK_BEFORE)
    nps(cast.workspace, promoters=35, detractors=5, at=LAST_WEEK)
    drops = alerts.alert_check(alert=new_alert(cast, name="drops"), now=NOW)
    assert drops.status == "other_way" and "significant rise" in drops.message
    both = alerts.alert_check(alert=new_alert(cast, name="both", watch="both"), now=NOW)
    assert both.fired and "rose" in Notification.objects.first().title


def test_the_slice_and_the_empty_period(cast):
    drop(cast.workspace, channel="chat")  # the drop is in chats; the alert watches email
    check = alerts.alert_check(alert=new_alert(cast), now=NOW)
    assert check.status == "no_data" and check.change is None
    assert alerts.alert_check(alert=new_alert(cast, name="chat", filters={"channel": "chat"}), now=NOW).fired


def test_a_member_removed_since_gets_nothing(cast):
    from cxloop.accounts.models import Membership

    drop(cast.workspace)
    alert = new_alert(cast)
    Membership.objects.filter(workspace=cast.workspace, user=cast.analyst).delete()
    assert alerts.alert_check(alert=alert, now=NOW).notified == 1
    assert [m.to for m in mail.outbox] == [[cast.owner.email]]


# -- validation ----------------------------------------------------------------------------------------------
def test_recipients_must_be_members_of_the_workspace(cast):
    with pytest.raises(ServiceError) as info:
        new_alert(cast, recipients=[cast.owner.pk, cast.outsider.pk])
    assert info.value.field == "recipients"
    for bad in ([], ["x"], [999999]):
        with pytest.raises(ServiceError):
            new_alert(cast, recipients=bad)
    assert not MetricAlert.objects.exists()


def test_bad_alerts_are_refused_with_the_reason(cast):
    for kwargs, field in [
        ({"metric": "theme_share"}, "metric"),
        ({"every": "day"}, "every"),
        ({"watch": "sideways"}, "watch"),
        ({"filters": {"colour": "red"}}, "filters"),
        ({"filters": {"channel": "pigeon"}}, "channel"),
        ({"name": " "}, "name"),
    ]:
        with pytest.raises(ServiceError) as info:
            new_alert(cast, **kwargs)
        assert info.value.field == field
    new_alert(cast, name="Same")
    with pytest.raises(Conflict):
        new_alert(cast, name="Same")


# -- periods and the schedule --------------------------------------------------------------------------------
def test_periods_are_calendar_weeks_and_months_in_the_workspace_time_zone():
    # Sunday 1 November 2026, 23:30 in London (GMT): the last complete week is 19-25 October
    sunday_late = datetime(2026, 11, 1, 23, 30, tzinfo=UTC)
    assert alerts.last_complete_period("week", sunday_late, LONDON) == (
        datetime(2026, 10, 19, tzinfo=LONDON),
        datetime(2026, 10, 26, tzinfo=LONDON),
    )
    monday = datetime(2026, 11, 2, 0, 30, tzinfo=UTC)  # just after Monday midnight in London
    since, until = alerts.last_complete_period("week", monday, LONDON)
    assert since == datetime(2026, 10, 26, tzinfo=LONDON) and until == datetime(2026, 11, 2, tzinfo=LONDON)
    assert since.utcoffset() == timedelta(0)  # GMT; the week of 19 October began in summer time
    assert datetime(2026, 10, 19, tzinfo=LONDON).utcoffset() == timedelta(hours=1)
    jan = datetime(2026, 1, 10, tzinfo=UTC)
    assert alerts.last_complete_period("month", jan, LONDON) == (
        datetime(2025, 12, 1, tzinfo=LONDON),
        datetime(2026, 1, 1, tzinfo=LONDON),
    )


def test_next_check_is_seven_in_the_morning_of_the_next_period_across_a_clock_change():
    saturday = datetime(2026, 10, 24, 9, tzinfo=UTC)  # British Summer Time ends on Sunday 25 October
    at = alerts.next_check_at("week", saturday, LONDON)
    assert at == datetime(2026, 10, 26, 7, tzinfo=LONDON) and at.astimezone(UTC).hour == 7  # GMT by then
    early_monday = datetime(2026, 10, 26, 6, 59, tzinfo=UTC)
    assert alerts.next_check_at("week", early_monday, LONDON) == datetime(2026, 10, 26, 7, tzinfo=LONDON)
    assert alerts.next_check_at("week", datetime(2026, 10, 26, 7, tzinfo=UTC), LONDON) == datetime(
        2026, 11, 2, 7, tzinfo=LONDON
    )
    assert alerts.next_check_at("month", datetime(2026, 12, 15, tzinfo=UTC), LONDON) == datetime(
        2027, 1, 1, 7, tzinfo=LONDON
    )


def test_the_tick_runs_a_due_alert_once_and_schedules_the_next_check(cast):
    drop(cast.workspace)
    alert = new_alert(cast)
    MetricAlert.objects.filter(pk=alert.pk).update(next_run_at=NOW - timedelta(minutes=1))
    paused = new_alert(cast, name="paused", enabled=False)
    assert paused.next_run_at is None
    first = tasks.run_due(now=NOW)
    assert first.alerts == [alert.pk] and not first.failed
    alert.refresh_from_db()
    assert alert.next_run_at == datetime(2026, 11, 23, 7, tzinfo=UTC)  # next Monday 07:00 (workspace: UTC)
    assert tasks.run_due(now=NOW + timedelta(minutes=5)).alerts == []
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2


def test_two_ticks_at_once_claim_an_alert_only_once(cast):
    alert = new_alert(cast)
    MetricAlert.objects.filter(pk=alert.pk).update(next_run_at=NOW - timedelta(minutes=1))
    stale = MetricAlert.objects.get(pk=alert.pk)
    assert tasks._claim(MetricAlert, stale, NOW + timedelta(days=1))
    assert not tasks._claim(MetricAlert, stale, NOW + timedelta(days=2))  # the other tick read the same row


def test_a_failing_alert_does_not_stop_the_others(cast, monkeypatch):
    drop(cast.workspace)
    broken, fine = new_alert(cast, name="a broken"), new_alert(cast, name="b fine")
    MetricAlert.objects.update(next_run_at=NOW - timedelta(minutes=1))
    real = alerts.alert_check

    def check(*, alert, now=None):
        if alert.pk == broken.pk:
            raise RuntimeError("boom")
        return real(alert=alert, now=now)

    monkeypatch.setattr(alerts, "alert_check", check)
    result = tasks.run_due(now=NOW)
    assert result.alerts == [fine.pk] and result.failed == [f"alert {broken.pk}: boom"]
    broken.refresh_from_db()
    assert broken.last_result["status"] == "error" and broken.next_run_at > NOW


def test_the_tick_does_not_queue_itself_on_the_inline_backend(cast):
    assert not tasks._can_schedule()
    assert tasks.schedule_tick() is False
    assert tasks.metrics_tick.enqueue().return_value.startswith("0 alert(s) checked")


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}})
def test_on_the_database_queue_one_tick_waits_at_a_time(cast):
    from django_tasks_db.models import DBTaskResult

    alert = new_alert(cast)  # queues the chain's first tick when the transaction commits (not in a test)
    assert tasks.ensure_tick() is True
    assert tasks.ensure_tick() is False
    waiting = DBTaskResult.objects.get(task_path="cxloop.metrics.tasks.metrics_tick")
    assert waiting.status == "READY"
    assert waiting.run_after <= min(alert.next_run_at, waiting.enqueued_at + tasks.TICK_EVERY)
    two_days_ago = waiting.enqueued_at - timedelta(days=2)
    DBTaskResult.objects.filter(pk=waiting.pk).update(status="SUCCESSFUL", finished_at=two_days_ago)
    assert tasks.ensure_tick() is True  # the finished tick's row is dropped, a new one waits
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["READY"]


# -- the page ------------------------------------------------------------------------------------------------
def test_an_analyst_sets_checks_pauses_and_removes_an_alert(cast, login):
    page = login(cast.analyst)
    assert "No alerts yet" in page.get("/dashboards/alerts/").content.decode()
    r = page.post(
        "/dashboards/alerts/",
        {
            "name": "CSAT drop",
            "metric": "csat",
            "every": "month",
            "watch": "drop",
            "channel": "",
            "region": "North",
            "recipients": [cast.analyst.pk, cast.viewer.pk],
        },
    )
    assert r.status_code == 302
    alert = MetricAlert.objects.get(workspace=cast.workspace)
    assert alert.filters == {"region": "North"} and alert.recipients == sorted(
        [cast.analyst.pk, cast.viewer.pk]
    )
    html = page.get("/dashboards/alerts/").content.decode()
    assert "CSAT drop" in html and "Not checked yet" in html and "Viewer" in html
    checked = page.post(f"/dashboards/alerts/{alert.pk}/check/", follow=True).content.decode()
    assert "No answers in this period or the one before." in checked  # shown though it did not fire
    assert page.post(f"/dashboards/alerts/{alert.pk}/toggle/", {"enabled": "0"}).status_code == 302
    alert.refresh_from_db()
    assert not alert.enabled and alert.next_run_at is None
    page.post(f"/dashboards/alerts/{alert.pk}/toggle/", {"enabled": "1"})
    alert.refresh_from_db()
    assert alert.enabled and alert.next_run_at is not None
    assert page.post(f"/dashboards/alerts/{alert.pk}/delete/").status_code == 302
    assert not MetricAlert.objects.exists()


def test_the_form_refuses_a_recipient_from_another_workspace(cast, login):
    page = login(cast.analyst)
    r = page.post(
        "/dashboards/alerts/",
        {"name": "x", "metric": "nps", "every": "week", "watch": "drop", "recipients": [cast.outsider.pk]},
    )
    assert r.status_code == 422 and "must be a member of this workspace" in r.content.decode()
    assert not MetricAlert.objects.exists()


def test_a_viewer_sees_alerts_but_cannot_change_or_check_them(cast, login):
    alert = new_alert(cast)
    page = login(cast.viewer)
    html = page.get("/dashboards/alerts/").content.decode()
    assert "NPS of email" in html and "Set an alert" not in html and "Check now" not in html
    body = {"name": "x", "metric": "nps", "every": "week", "watch": "drop", "recipients": [cast.viewer.pk]}
    assert page.post("/dashboards/alerts/", body).status_code == 403
    for action in ("check", "toggle", "delete"):
        assert page.post(f"/dashboards/alerts/{alert.pk}/{action}/").status_code == 403
    assert MetricAlert.objects.get(pk=alert.pk).enabled and MetricAlert.objects.count() == 1


def test_outsider_sees_checks_and_removes_none_of_acme_alerts(cast, login):
    drop(cast.workspace)
    alert = new_alert(cast, name="Acme secret alert")
    page = login(cast.outsider)
    assert "Acme secret alert" not in page.get("/dashboards/alerts/").content.decode()
    for action in ("check", "toggle", "delete"):
        assert page.post(f"/dashboards/alerts/{alert.pk}/{action}/", {"enabled": "0"}).status_code == 404
    alert.refresh_from_db()
    assert alert.enabled and alert.last_checked_at is None
    assert not Notification.objects.exists() and mail.outbox == []
    r = page.post(
        "/dashboards/alerts/",
        {"name": "mine", "metric": "nps", "every": "week", "watch": "drop", "recipients": [cast.owner.pk]},
    )
    assert r.status_code == 422  # Acme's owner is no member of Other Co
    assert MetricAlert.objects.filter(workspace=cast.other_workspace).count() == 0


# -- the API -------------------------------------------------------------------------------------------------
def test_api_create_list_change_check_and_delete_an_alert(cast, api, acme_key):
    body = {"name": "NPS", "metric": "nps", "recipients": [cast.owner.pk], "filters": {"channel": "email"}}
    r = api("post", "/api/v1/alerts", key=acme_key, json=body)
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["every"] == "week" and created["watch"] == "drop" and created["next_run_at"]
    assert api("post", "/api/v1/alerts", key=acme_key, json=body).status_code == 409
    bad = api(
        "post", "/api/v1/alerts", key=acme_key, json={**body, "name": "x", "recipients": [cast.outsider.pk]}
    )
    assert bad.status_code == 400 and "member" in bad.json()["detail"]
    changed = api("put", f"/api/v1/alerts/{created['id']}", key=acme_key, json={**body, "watch": "both"})
    assert changed.json()["watch"] == "both"
    check = api("post", f"/api/v1/alerts/{created['id']}/check", key=acme_key).json()
    assert check["status"] == "no_data" and check["fired"] is False
    assert [a["name"] for a in api("get", "/api/v1/alerts", key=acme_key).json()] == ["NPS"]
    assert api("delete", f"/api/v1/alerts/{created['id']}", key=acme_key).status_code == 204
    assert api("get", "/api/v1/alerts", key=acme_key).json() == []


def test_api_keys_of_another_workspace_see_and_change_no_alert(cast, api, other_key):
    drop(cast.workspace)
    alert = new_alert(cast, name="Acme alert")
    assert api("get", "/api/v1/alerts", key=other_key).json() == []
    body = {"name": "x", "metric": "nps", "recipients": [cast.outsider.pk]}
    assert api("put", f"/api/v1/alerts/{alert.pk}", key=other_key, json=body).status_code == 404
    assert api("post", f"/api/v1/alerts/{alert.pk}/check", key=other_key).status_code == 404
    assert api("delete", f"/api/v1/alerts/{alert.pk}", key=other_key).status_code == 404
    refused = api("post", "/api/v1/alerts", key=other_key, json={**body, "recipients": [cast.owner.pk]})
    assert refused.status_code == 400  # Acme's owner is no member of Other Co
    alert.refresh_from_db()
    assert alert.name == "Acme alert" and alert.last_checked_at is None
    assert not Notification.objects.exists() and mail.outbox == []
    assert not MetricAlert.objects.filter(workspace=cast.other_workspace).exists()
