"""Scheduled reports: the figures of the last complete period (cards with intervals and tested changes, NPS
trend and by region, themes rising and falling) in the PDF and the email, sending times in the workspace's
time zone across clock changes, recipients' validation, the scheduler, the page and workspace isolation."""

from __future__ import annotations

import re
import zlib
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from cxloop.analysis.models import Theme
from cxloop.core.exceptions import Conflict, ServiceError
from cxloop.customers.models import Customer
from cxloop.metrics import reports, tasks
from cxloop.metrics.models import ScheduledReport
from cxloop.metrics.tests.test_engine import make

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)  # Wednesday: the report covers Monday 9 to Sunday 15 November
LAST_WEEK = datetime(2026, 11, 11, 12, tzinfo=UTC)
WEEK_BEFORE = datetime(2026, 11, 4, 12, tzinfo=UTC)
EMAILS = ["cx@acme.example", "boss@acme.example"]


def pdf_strings(body: bytes) -> str:
    """The text drawn in a PDF: its content streams, inflated."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S):
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            out.append(stream.decode("latin-1"))
    return "\n".join(out)


@pytest.fixture
def shop(cast):
    """40 NPS answers each week: +75 the week before, −50 last week (half from the North, half from the
    South); every text read; Delivery mentioned by 5 then 30 of them, Price by 20 then 5."""
    ws = cast.workspace
    north = Customer.objects.create(workspace=ws, region="North")
    south = Customer.objects.create(workspace=ws, region="South")
    delivery = Theme.objects.create(workspace=ws, name="Delivery")
    price = Theme.objects.create(workspace=ws, name="Price")

    def week(at, promoters, delivery_count, price_count):
        for i in range(40):
            themes = []
            if i < delivery_count:
                themes.append((delivery, "suggested"))
            if i >= 40 - price_count:
                themes.append((price, "suggested"))
            make(
                ws,
                ("nps", 10 if i < promoters else 0),
                at=at,
                channel="email",
                customer=north if i % 2 else south,
                sentiment="neutral",
                themes=themes,
            )

    week(WEEK_BEFORE, promoters=35, delivery_count=5, price_count=20)
    week(LAST_WEEK, promoters=10, delivery_count=30, price_count=5)
    return ws


def weekly(cast, **kw):
    kw.setdefault("name", "Monday CX")
    kw.setdefault("frequency", "weekly")
    kw.setdefault("recipients", EMAILS)
    return reports.report_save(workspace=cast.workspace, actor=cast.owner, **kw)


# -- what the report says ------------------------------------------------------------------------------------
def test_the_report_has_the_cards_trend_regions_and_moving_themes(cast, shop):
    built = reports.build_report(workspace=shop, frequency="weekly", now=NOW, name="Monday CX")
    assert built.since == datetime(2026, 11, 9, tzinfo=UTC) and built.last_day.isoformat() == "2026-11-15"
    nps = built.cards[0]
    assert nps.name == "NPS" and nps.result.value == pytest.approx(-50.0) and nps.result.n == 40
    assert nps.change.significant and nps.change.difference == pytest.approx(-125.0)
    assert "significant (" in nps.change_text and nps.change.test in nps.change_text
    volume = built.cards[3]
    assert volume.result.n == 40 and "not significant" in volume.change_text  # 40 items both weeks
    assert built.cards[1].result is None and "Nothing to compare" in built.cards[1].change_text  # no CSAT
    assert [r.group for r in built.trend] == ["2026-11-02", "2026-11-09"]
    assert sorted(r.group for r in built.regions) == ["North", "South"]
    assert [c.group for c in built.rising] == ["Delivery"] and [c.group for c in built.falling] == ["Price"]
    assert built.dashboard_url.endswith("/dashboards/?period=custom&since=2026-11-09&until=2026-11-15")


def test_the_filters_narrow_every_figure(cast, shop):
    built = reports.build_report(workspace=shop, frequency="weekly", filters={"region": "North"}, now=NOW)
    assert built.cards[0].result.n == 20 and [r.group for r in built.regions] == ["North"]
    assert "region=North" in built.dashboard_url
    assert "Feedback counted: region North." in reports.report_text(built)


def test_the_pdf_parses_and_contains_the_figures(cast, shop):
    built = reports.build_report(workspace=shop, frequency="weekly", now=NOW, name="Monday CX")
    body = reports.report_pdf(built)
    assert body.startswith(b"%PDF") and body.rstrip().endswith(b"%%EOF")
    drawn = pdf_strings(body)
    assert "(Monday CX - Acme)" in drawn
    assert "the week of Monday 2026-11-09 \\(to Sunday 2026-11-15\\)" in drawn
    assert r"NPS: -50 \(95% CI" in drawn and "n = 40" in drawn  # the minus drawn as a hyphen
    assert "Rising: Delivery: 75.0% of read texts \\(was 12.5%\\)" in drawn
    assert "Falling: Price: 12.5% of read texts \\(was 50.0%\\)" in drawn
    assert "NPS by region" in drawn and "North" in drawn
    assert "Tm (2026-11-09) Tj" in drawn  # the trend chart (its axis labels are drawn in the chart)
    assert "2026-11-02: +75 \\(95% CI" in drawn  # and its table
    assert b"/URI (http://" in body and b"/dashboards/?period=custom" in body  # the dashboard link


def test_an_empty_period_says_so(cast):
    built = reports.build_report(workspace=cast.workspace, frequency="monthly", now=NOW)
    text = reports.report_text(built)
    assert "November" not in text and "October 2026 (2026-10-01 to 2026-10-31)" in text
    assert "NPS: no answers." in text and "No theme mentions" in text
    assert reports.report_pdf(built).startswith(b"%PDF")


def test_sending_mails_each_recipient_the_pdf_and_a_text_summary(cast, shop):
    report = weekly(cast)
    assert reports.report_send(report=report, now=NOW) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(EMAILS)
    message = mail.outbox[0]
    assert message.subject.startswith("Acme: Monday CX - the week of Monday 2026-11-09")
    assert "Key figures" in message.body and "NPS: −50 (95% CI" in message.body
    assert "Rising: Delivery" in message.body and "/dashboards/?period=custom" in message.body
    [(filename, content, mimetype)] = message.attachments
    assert filename == "cx-report-2026-11-09-to-2026-11-15.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    report.refresh_from_db()
    assert report.last_sent_at == NOW and report.last_error == ""


# -- when ----------------------------------------------------------------------------------------------------
def test_weekly_reports_go_on_monday_at_eight_london_time_across_the_clock_change():
    friday_summer = datetime(2026, 10, 23, 10, tzinfo=UTC)  # BST; clocks go back on Sunday 25 October
    at = reports.next_send_at("weekly", friday_summer, LONDON)
    assert at == datetime(2026, 10, 26, 8, tzinfo=LONDON) and at.astimezone(UTC) == datetime(
        2026, 10, 26, 8, tzinfo=UTC
    )
    saturday_winter = datetime(2026, 3, 28, 10, tzinfo=UTC)  # clocks go forward on Sunday 29 March
    spring = reports.next_send_at("weekly", saturday_winter, LONDON)
    assert spring.astimezone(UTC) == datetime(2026, 3, 30, 7, tzinfo=UTC)  # 08:00 BST
    monday_early = datetime(2026, 10, 26, 7, 59, tzinfo=UTC)
    assert reports.next_send_at("weekly", monday_early, LONDON) == datetime(2026, 10, 26, 8, tzinfo=LONDON)
    assert reports.next_send_at("weekly", at, LONDON) == datetime(2026, 11, 2, 8, tzinfo=LONDON)


def test_monthly_reports_go_on_the_first_at_eight():
    assert reports.next_send_at("monthly", datetime(2026, 3, 1, 7, 59, tzinfo=UTC), LONDON) == datetime(
        2026, 3, 1, 8, tzinfo=LONDON
    )
    april = reports.next_send_at("monthly", datetime(2026, 3, 1, 8, tzinfo=UTC), LONDON)
    assert april.astimezone(UTC) == datetime(2026, 4, 1, 7, tzinfo=UTC)
    assert reports.next_send_at("monthly", datetime(2026, 12, 20, tzinfo=UTC), LONDON) == datetime(
        2027, 1, 1, 8, tzinfo=LONDON
    )


def test_the_tick_sends_a_due_report_once(cast, shop):
    report = weekly(cast, now=NOW)
    assert report.next_run_at == datetime(2026, 11, 23, 8, tzinfo=UTC)  # Monday 08:00 (the workspace's UTC)
    ScheduledReport.objects.filter(pk=report.pk).update(next_run_at=NOW - timedelta(minutes=2))
    assert tasks.run_due(now=NOW).reports == [report.pk]
    assert tasks.run_due(now=NOW + timedelta(minutes=10)).reports == []
    assert len(mail.outbox) == 2
    report.refresh_from_db()
    assert report.next_run_at == datetime(2026, 11, 23, 8, tzinfo=UTC) and report.last_sent_at == NOW


def test_a_report_whose_mail_fails_records_the_error_and_keeps_its_schedule(cast, shop, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1  # nothing listens
    report = weekly(cast)
    ScheduledReport.objects.filter(pk=report.pk).update(next_run_at=NOW - timedelta(minutes=2))
    result = tasks.run_due(now=NOW)
    assert result.reports == [] and len(result.failed) == 1
    report.refresh_from_db()
    assert report.last_error.startswith("Sending failed") and report.last_sent_at is None
    assert report.next_run_at > NOW


# -- validation ----------------------------------------------------------------------------------------------
def test_recipients_are_checked_deduplicated_and_capped():
    assert reports.parse_recipients("a@x.example, A@x.example;\nb@y.example") == [
        "a@x.example",
        "b@y.example",
    ]
    for bad, words in [
        ("not-an-email", "is not an email address"),
        ("a@x.example, <script>@x", "is not an email address"),
        ("", "at least one"),
        ([f"p{i}@x.example" for i in range(21)], "at most 20"),
    ]:
        with pytest.raises(ServiceError) as info:
            reports.parse_recipients(bad)
        assert words in info.value.message and info.value.field == "recipients"


def test_bad_reports_are_refused(cast):
    for kwargs, field in [
        ({"recipients": "nobody"}, "recipients"),
        ({"frequency": "daily"}, "frequency"),
        ({"filters": {"theme": "1"}}, "filters"),
        ({"filters": {"channel": "pigeon"}}, "channel"),
        ({"name": ""}, "name"),
    ]:
        with pytest.raises(ServiceError) as info:
            weekly(cast, **kwargs)
        assert info.value.field == field
    weekly(cast)
    with pytest.raises(Conflict):
        weekly(cast)
    assert ScheduledReport.objects.count() == 1


# -- the page ------------------------------------------------------------------------------------------------
def test_an_analyst_schedules_previews_sends_and_removes_a_report(cast, login, shop):
    page = login(cast.analyst)
    assert "No scheduled reports yet" in page.get("/dashboards/reports/").content.decode()
    r = page.post(
        "/dashboards/reports/",
        {"name": "Monthly", "frequency": "monthly", "recipients": "cx@acme.example", "channel": "email"},
    )
    assert r.status_code == 302
    report = ScheduledReport.objects.get(workspace=cast.workspace)
    assert report.filters == {"channel": "email"} and report.recipients == ["cx@acme.example"]
    assert "cx@acme.example" in page.get("/dashboards/reports/").content.decode()
    pdf = page.get(f"/dashboards/reports/{report.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf["Content-Disposition"]
    sent = page.post(f"/dashboards/reports/{report.pk}/send/", follow=True)
    assert "sent to 1 address." in sent.content.decode() and len(mail.outbox) == 1
    bad = page.post("/dashboards/reports/", {"name": "x", "frequency": "weekly", "recipients": "nope"})
    assert bad.status_code == 422 and "is not an email address" in bad.content.decode()
    assert page.post(f"/dashboards/reports/{report.pk}/delete/").status_code == 302
    assert not ScheduledReport.objects.exists()


def test_a_viewer_previews_but_cannot_schedule_send_or_remove(cast, login):
    report = weekly(cast)
    page = login(cast.viewer)
    html = page.get("/dashboards/reports/").content.decode()
    assert "Monday CX" in html and "Schedule a report" not in html and "Send now" not in html
    assert page.get(f"/dashboards/reports/{report.pk}/pdf/").status_code == 200
    body = {"name": "x", "frequency": "weekly", "recipients": "v@acme.example"}
    assert page.post("/dashboards/reports/", body).status_code == 403
    assert page.post(f"/dashboards/reports/{report.pk}/send/").status_code == 403
    assert page.post(f"/dashboards/reports/{report.pk}/delete/").status_code == 403
    assert mail.outbox == [] and ScheduledReport.objects.count() == 1


def test_outsider_sees_sends_and_removes_none_of_acme_reports(cast, login, shop):
    report = weekly(cast, name="Acme secret report")
    page = login(cast.outsider)
    assert "Acme secret report" not in page.get("/dashboards/reports/").content.decode()
    assert page.get(f"/dashboards/reports/{report.pk}/pdf/").status_code == 404
    assert page.post(f"/dashboards/reports/{report.pk}/send/").status_code == 404
    assert page.post(f"/dashboards/reports/{report.pk}/delete/").status_code == 404
    assert mail.outbox == [] and ScheduledReport.objects.filter(pk=report.pk).exists()
    page.post(
        "/dashboards/reports/", {"name": "Mine", "frequency": "weekly", "recipients": "o@other.example"}
    )
    mine = ScheduledReport.objects.get(workspace=cast.other_workspace)
    own = reports.report_build_for(report=mine, now=NOW)
    assert own.cards[0].result is None and own.regions == [] and own.workspace_name == "Other Co"


# -- the API -------------------------------------------------------------------------------------------------
def test_api_schedule_list_and_delete_a_report(cast, api, acme_key):
    body = {"name": "Weekly", "recipients": ["cx@acme.example"], "filters": {"region": "North"}}
    r = api("post", "/api/v1/reports", key=acme_key, json=body)
    assert r.status_code == 201, r.content
    created = r.json()
    assert (
        created["frequency"] == "weekly"
        and created["next_run_at"]
        and created["filters"] == {"region": "North"}
    )
    assert api("post", "/api/v1/reports", key=acme_key, json=body).status_code == 409
    bad = api("post", "/api/v1/reports", key=acme_key, json={**body, "name": "x", "recipients": ["nope"]})
    assert bad.status_code == 400 and "not an email address" in bad.json()["detail"]
    assert [x["name"] for x in api("get", "/api/v1/reports", key=acme_key).json()] == ["Weekly"]
    assert api("delete", f"/api/v1/reports/{created['id']}", key=acme_key).status_code == 204
    assert api("get", "/api/v1/reports", key=acme_key).json() == []


def test_api_keys_of_another_workspace_see_and_change_no_report(cast, api, other_key):
    report = weekly(cast, name="Acme report")
    assert api("get", "/api/v1/reports", key=other_key).json() == []
    assert api("delete", f"/api/v1/reports/{report.pk}", key=other_key).status_code == 404
    mine = api(
        "post", "/api/v1/reports", key=other_key, json={"name": "Acme report", "recipients": ["o@x.example"]}
    )
    assert mine.status_code == 201  # the same name in another workspace is another report
    assert ScheduledReport.objects.get(pk=report.pk).recipients == EMAILS
    assert ScheduledReport.objects.filter(workspace=cast.other_workspace).count() == 1
