"""Local periods computed in SQLite (cxloop/metrics/periods.py) agree with Python's zoneinfo, across daylight
saving changes, half-hour zones and the southern hemisphere."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from cxloop.feedback.models import FeedbackItem
from cxloop.metrics import periods

ZONES = ["UTC", "Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham"]


def expected(moment: datetime, kind: str, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz).date()
    if kind == "week":
        local -= timedelta(days=local.weekday())
    elif kind == "month":
        local = local.replace(day=1)
    elif kind == "quarter":
        local = local.replace(month=3 * ((local.month - 1) // 3) + 1, day=1)
    return local.isoformat()


@pytest.mark.parametrize("zone", ZONES)
def test_offset_changes_match_zoneinfo_to_the_minute(zone):
    first, changes = periods.offset_changes(zone, 2024, 2026)
    tz = ZoneInfo(zone)
    assert first == ZoneInfo(zone).utcoffset(datetime(2024, 1, 1)).total_seconds()
    for at, offset in changes:
        moment = datetime.fromisoformat(at).replace(tzinfo=UTC)
        assert moment.astimezone(tz).utcoffset().total_seconds() == offset
        assert (moment - timedelta(minutes=1)).astimezone(tz).utcoffset().total_seconds() != offset
    assert len(changes) == (0 if zone in ("UTC", "Asia/Kolkata") else 6)


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="LocalPeriod is SQLite's; PostgreSQL truncates natively"
)
@pytest.mark.parametrize("zone", ZONES)
def test_sqlite_periods_equal_python_ones_around_every_clock_change(cast, zone):
    tz, rng = ZoneInfo(zone), random.Random(zone)
    _, changes = periods.offset_changes(zone, 2025, 2026)
    moments = [
        datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        for _ in range(150)
    ]
    for at, _ in changes:  # either side of each change, and midnights around it
        change = datetime.fromisoformat(at).replace(tzinfo=UTC)
        moments += [change + timedelta(minutes=m) for m in (-61, -1, 0, 1, 59, 60, 61)]
    moments += [
        datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
        datetime(2026, 3, 31, 22, 59, 59, 999999, tzinfo=UTC),
    ]
    items = FeedbackItem.objects.bulk_create(
        FeedbackItem(workspace=cast.workspace, channel="survey", occurred_at=m) for m in moments
    )
    span = {"since": min(moments), "until": max(moments) + timedelta(seconds=1)}
    for kind, bounds in [(k, b) for k in periods.KINDS for b in ({}, span)]:
        got = dict(
            FeedbackItem.objects.filter(pk__in=[i.pk for i in items])
            .annotate(p=periods.LocalPeriod("occurred_at", kind=kind, tz=tz, **bounds))
            .values_list("pk", "p")
        )
        wrong = [
            (m, kind, got[i.pk], expected(m, kind, tz))
            for i, m in zip(items, moments, strict=True)
            if got[i.pk] != expected(m, kind, tz)
        ]
        assert not wrong, wrong[:5]


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="LocalPeriod is SQLite's; PostgreSQL truncates natively"
)
def test_bounds_keep_only_the_clock_changes_of_the_selection(cast):
    tz = ZoneInfo("Europe/London")
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    moments = [datetime(2026, 3, 29, 0, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)]
    items = FeedbackItem.objects.bulk_create(
        FeedbackItem(workspace=cast.workspace, channel="survey", occurred_at=m) for m in moments
    )
    bounded = periods.LocalPeriod("occurred_at", kind="day", tz=tz, since=since, until=until)
    got = (
        FeedbackItem.objects.filter(pk__in=[i.pk for i in items])
        .annotate(p=bounded)
        .order_by("occurred_at")
        .values_list("p", flat=True)
    )
    assert list(got) == ["2026-03-29", "2026-03-29"]
    months = periods.LocalPeriod("occurred_at", kind="month", tz=tz, since=since, until=until)
    sql = str(FeedbackItem.objects.annotate(p=months).query)
    assert "strftime" not in sql and sql.count("CASE WHEN") == 6  # January … July: the labels themselves
    long = periods.LocalPeriod(
        "occurred_at",
        kind="day",
        tz=tz,
        since=datetime(2024, 1, 1, tzinfo=UTC),
        until=datetime(2026, 12, 31, tzinfo=UTC),
    )  # 1,095 days: more than MAX_PERIODS, so the offset tree of 2023–2027's ten clock changes
    assert str(FeedbackItem.objects.annotate(p=long).query).count("CASE WHEN") == 10
    wide = str(FeedbackItem.objects.annotate(p=periods.LocalPeriod("occurred_at", kind="day", tz=tz)).query)
    assert wide.count("CASE WHEN") > 100
