"""Scheduled reports: the CX overview of the last complete week or month, emailed as a PDF with a plain-text
summary to a list of addresses (services and selectors in one module, as targets.py).

When: weekly reports on Monday, monthly ones on the 1st, at REPORT_HOUR (08:00) workspace time, through the
metrics scheduler (cxloop/metrics/tasks.py); "Send now" and "Download the PDF" on the page at any time.

What (`build_report`, every figure from the engine, with the report's filters: channel, segment, region,
touchpoint):
- the cards: NPS, CSAT, CES and volume over the period, each with its 95% interval and n, and the change
  against the period of the same length just before with the test that decides it (engine.compare);
- the NPS trend: the last 12 weeks or months, by week or month, as a chart and a table;
- NPS by region over the period;
- themes rising and falling: the share of read texts that mention each theme against the period before
  (engine.compare metric="theme_share", group_by="theme"), the significant moves only;
- a link to /dashboards/ with the same period and filters.
`report_sections` turns that into titled lines, which both the email's text and the PDF print, so the two
always say the same thing; the PDF adds the trend chart.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from cxloop.core import charts
from cxloop.core.exceptions import Conflict, NotFound, ServiceError

from . import engine
from .alerts import describe_filters, fmt, fmt_diff, fmt_interval, fmt_p
from .models import ScheduledReport
from .slices import clean_name, clean_slice

REPORT_HOUR = 8
MAX_RECIPIENTS = 20
MAX_REPORTS = 50
FILTER_KEYS = ("channel", "segment", "region", "touchpoint")
CARD_METRICS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "volume": "Volume"}
TREND_PERIODS = 12
MAX_REGIONS = 12
TOP_MOVES = 5
_SVG_META = re.compile(r"<title[^>]*>.*?</title>|<desc[^>]*>.*?</desc>", re.S)
CHART_WIDTH_MM = 165


# -- when ----------------------------------------------------------------------------------------------------
def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def next_send_at(frequency: str, now: datetime, tz) -> datetime:
    """The next sending after `now`: Monday (weekly) or the 1st (monthly) at REPORT_HOUR, workspace time
    (the wall-clock hour, whatever the UTC offset of that day)."""
    today = now.astimezone(tz).date()
    if frequency == ScheduledReport.Frequency.WEEKLY:
        day = today - timedelta(days=today.weekday())
        step = lambda d: d + timedelta(days=7)  # noqa: E731
    else:
        day = today.replace(day=1)
        step = _first_of_next_month
    when = datetime.combine(day, time(REPORT_HOUR), tzinfo=tz)
    while when <= now:
        day = step(day)
        when = datetime.combine(day, time(REPORT_HOUR), tzinfo=tz)
    return when


def report_period(frequency: str, now: datetime, tz) -> tuple[datetime, datetime]:
    """[since, until) of the last complete week (Monday to Monday) or calendar month before `now`."""
    from .alerts import last_complete_period

    return last_complete_period("week" if frequency == ScheduledReport.Frequency.WEEKLY else "month", now, tz)


# -- what ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Card:
    metric: str
    name: str
    result: engine.GroupResult | None
    change: engine.Change | None
    change_text: str

    @property
    def line(self) -> str:
        r = self.result
        if r is None or r.value is None:
            return f"{self.name}: no answers. {self.change_text}"
        text = f"{self.name}: {fmt(self.metric, r.value)}"
        if r.ci_low is not None:
            text += f" (95% CI {fmt_interval(self.metric, r.ci_low, r.ci_high)})"
        text += f", n = {r.n:,}"
        if r.too_few:
            text += f" - too few answers to rely on (fewer than {engine.MIN_N})"
        return f"{text}. {self.change_text}"


@dataclass
class Report:
    workspace_name: str
    name: str
    frequency: str
    since: datetime
    until: datetime  # excluded
    filters: dict
    cards: list[Card]
    trend_group: str
    trend: list[engine.GroupResult]
    regions: list[engine.GroupResult]
    rising: list[engine.Change]
    falling: list[engine.Change]
    dashboard_url: str
    generated_at: datetime
    themes_compared: int = 0
    before: tuple[date, date] = field(default=(date.min, date.min))

    @property
    def last_day(self) -> date:
        return (self.until - timedelta(days=1)).date()

    @property
    def period_label(self) -> str:
        first, last = self.since.date(), self.last_day
        if self.frequency == ScheduledReport.Frequency.MONTHLY:
            return f"{first:%B %Y} ({first.isoformat()} to {last.isoformat()})"
        return f"the week of Monday {first.isoformat()} (to Sunday {last.isoformat()})"


def _change_text(metric: str, change: engine.Change | None, before: str) -> str:
    if change is None:
        return f"Nothing to compare with from {before}."
    if change.baseline.n == 0:
        return f"No answers from {before} to compare with."
    diff = fmt_diff(metric, change.difference)
    test = f"{change.test}, {fmt_p(change.p_value)}"
    if metric != "volume" and (change.current.too_few or change.baseline.too_few):
        return f"Change against {before}: {diff}, too few answers to test ({test})."
    if change.significant:
        return f"Change against {before}: {diff}, significant ({test})."
    return f"Change against {before}: {diff}, not significant ({test})."


def _trend_since(frequency: str, until: datetime, tz) -> datetime:
    last = until.date()
    if frequency == ScheduledReport.Frequency.WEEKLY:
        return datetime.combine(last - timedelta(weeks=TREND_PERIODS), time.min, tzinfo=tz)
    first = last
    for _ in range(TREND_PERIODS):
        first = (first - timedelta(days=1)).replace(day=1)
    return datetime.combine(first, time.min, tzinfo=tz)


def dashboard_url(since: datetime, until: datetime, filters: dict) -> str:
    params = {
        "period": "custom",
        "since": since.date().isoformat(),
        "until": (until - timedelta(days=1)).date().isoformat(),
        **filters,
    }
    return f"{settings.BASE_URL}/dashboards/?{urlencode(params)}"


def build_report(
    *, workspace, frequency: str, filters: dict | None = None, now: datetime | None = None, name: str = ""
) -> Report:
    """The report's figures for the last complete period before `now` (about a dozen engine queries)."""
    now = now or timezone.now()
    filters = dict(filters or {})
    tz = workspace.zone
    since, until = report_period(frequency, now, tz)
    selection = engine.MetricFilter(since=since, until=until, **{k: str(v) for k, v in filters.items()})
    length = until - since
    before = ((since - length).date(), (since - timedelta(days=1)).date())
    before_text = f"{before[0].isoformat()} to {before[1].isoformat()}"
    cards = []
    for metric, label in CARD_METRICS.items():
        changes = engine.compare(workspace=workspace, metric=metric, filters=selection, against="previous")
        change = changes[0] if changes else None
        result = change.current if change and change.current.n else None
        cards.append(Card(metric, label, result, change, _change_text(metric, change, before_text)))
    trend_group = "week" if frequency == ScheduledReport.Frequency.WEEKLY else "month"
    trend_filters = engine.MetricFilter(
        since=_trend_since(frequency, until, tz), until=until, **{k: str(v) for k, v in filters.items()}
    )
    trend = engine.metric(
        workspace=workspace, metric="nps", filters=trend_filters, group_by=trend_group
    ).results
    regions = engine.metric(workspace=workspace, metric="nps", filters=selection, group_by="region").results
    themes = engine.compare(
        workspace=workspace, metric="theme_share", filters=selection, group_by="theme", against="previous"
    )
    rising = sorted((c for c in themes if c.direction == "up"), key=lambda c: -(c.difference or 0))
    falling = sorted((c for c in themes if c.direction == "down"), key=lambda c: c.difference or 0)
    return Report(
        workspace_name=workspace.name,
        name=name,
        frequency=frequency,
        since=since,
        until=until,
        filters=filters,
        cards=cards,
        trend_group=trend_group,
        trend=trend,
        regions=regions[:MAX_REGIONS],
        rising=rising[:TOP_MOVES],
        falling=falling[:TOP_MOVES],
        dashboard_url=dashboard_url(since, until, filters),
        generated_at=now,
        themes_compared=len(themes),
        before=before,
    )


def _nps_line(label: str, r: engine.GroupResult) -> str:
    text = f"{label}: {fmt('nps', r.value)} (95% CI {fmt_interval('nps', r.ci_low, r.ci_high)}), n = {r.n:,}"
    return text + (" - too few answers to rely on" if r.too_few else "")


def _theme_line(c: engine.Change) -> str:
    return (
        f"{c.group}: {c.current.value or 0:.1f}% of read texts (was {c.baseline.value or 0:.1f}%), "
        f"{c.difference or 0:+.1f} points ({c.test}, {fmt_p(c.p_value)})"
    )


def report_sections(report: Report) -> list[tuple[str, list[str]]]:
    """(title, lines) of the report, in order: what both the email's text and the PDF print."""
    before = f"{report.before[0].isoformat()} to {report.before[1].isoformat()}"
    head = [
        f"Workspace: {report.workspace_name}",
        f"Period: {report.period_label}, compared with {before}.",
        f"Feedback counted: {describe_filters(report.filters)}.",
    ]
    sections = [("Summary", head), ("Key figures", [card.line for card in report.cards])]
    unit = "week" if report.trend_group == "week" else "month"
    trend = [_nps_line(r.group, r) for r in report.trend] or ["No NPS answers in these periods."]
    sections.append((f"NPS by {unit}, the last {TREND_PERIODS} {unit}s", trend))
    regions = [_nps_line(r.group or "(no region)", r) for r in report.regions]
    sections.append(("NPS by region", regions or ["No NPS answers in this period."]))
    if not report.themes_compared:
        themes = ["No theme mentions in this period or the one before."]
    else:
        themes = [f"Rising: {_theme_line(c)}" for c in report.rising]
        themes += [f"Falling: {_theme_line(c)}" for c in report.falling]
        if not themes:
            themes = [f"No theme's share of the texts changed significantly against {before}."]
    sections.append(("Themes rising and falling", themes))
    sections.append(("More", [f"The dashboard with this period and these filters: {report.dashboard_url}"]))
    return sections


def _generated(report: Report) -> str:
    return f"Generated {report.generated_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC by CX Loop."


def report_text(report: Report) -> str:
    title = report.name or "CX report"
    out = [f"{title} - {report.workspace_name}", ""]
    for heading, lines in report_sections(report):
        out += [heading, *[f"- {line}" for line in lines], ""]
    out.append(f"The PDF attached has the same figures and the NPS trend as a chart. {_generated(report)}")
    return "\n".join(out) + "\n"


def trend_chart(report: Report) -> charts.Chart | None:
    points = [charts.Point(r.group, r.value, r.ci_low, r.ci_high, r.n) for r in report.trend]
    if not points:
        return None
    return charts.line_chart(
        f"NPS by {report.trend_group}",
        points,
        desc="NPS with its 95% confidence band",
        value_label="NPS",
    )


def report_pdf(report: Report) -> bytes:
    """The report as a PDF (fpdf2, the core Helvetica font as in surveys/exports.py)."""
    from fpdf import FPDF

    from cxloop.surveys.exports import pdf_text

    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    title = report.name or "CX report"
    pdf.set_title(pdf_text(f"{title} - {report.workspace_name}"))
    pdf.set_creator("CX Loop")
    pdf.add_page()

    def heading(text: str, size: int = 13) -> None:
        pdf.set_font("helvetica", "B", size)
        pdf.multi_cell(0, size * 0.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def line(text: str, size: int = 10) -> None:
        pdf.set_font("helvetica", "", size)
        pdf.multi_cell(0, size * 0.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")

    heading(f"{title} - {report.workspace_name}", 18)
    line(_generated(report), 9)
    pdf.ln(3)
    chart = trend_chart(report)
    for section, lines in report_sections(report):
        heading(section)
        if chart is not None and section.startswith(("NPS by week", "NPS by month")):
            svg = pdf_text(_SVG_META.sub("", chart.svg))
            pdf.image(io.BytesIO(svg.encode("utf-8")), w=CHART_WIDTH_MM)
            pdf.ln(2)
        for text in lines:
            line(text)
        pdf.ln(3)
    pdf.set_font("helvetica", "U", 10)
    pdf.set_text_color(11, 92, 173)
    pdf.cell(0, 5, "Open the dashboard", link=report.dashboard_url, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def pdf_filename(report: Report) -> str:
    return f"cx-report-{report.since.date().isoformat()}-to-{report.last_day.isoformat()}.pdf"


# -- sending -------------------------------------------------------------------------------------------------
def report_build_for(*, report: ScheduledReport, now: datetime | None = None) -> Report:
    return build_report(
        workspace=report.workspace,
        frequency=report.frequency,
        filters=report.filters,
        now=now,
        name=report.name,
    )


def report_send(*, report: ScheduledReport, now: datetime | None = None) -> int:
    """Build the report for its last complete period and email it, the PDF attached, to each recipient (one
    message each: recipients do not see one another). Returns how many were sent; the mail server's errors
    are raised (the scheduler records them on the report)."""
    now = now or timezone.now()
    built = report_build_for(report=report, now=now)
    body, pdf = report_text(built), report_pdf(built)
    subject = f"{report.workspace.name}: {report.name} - {built.period_label}"
    messages = []
    for address in report.recipients:
        message = EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"Auto-Submitted": "auto-generated"},
        )
        message.attach(pdf_filename(built), pdf, "application/pdf")
        messages.append(message)
    sent = get_connection().send_messages(messages) or 0
    report.last_sent_at, report.last_error = now, ""
    report.save(update_fields=["last_sent_at", "last_error"])
    return sent


# -- selectors and services ----------------------------------------------------------------------------------
def reports_list(*, workspace) -> list[ScheduledReport]:
    return list(ScheduledReport.objects.filter(workspace=workspace).select_related("workspace"))


def report_get(*, workspace, report_id: int) -> ScheduledReport:
    found = (
        ScheduledReport.objects.filter(workspace=workspace, pk=report_id).select_related("workspace").first()
    )
    if found is None:
        raise NotFound("No such report.")
    return found


def parse_recipients(raw) -> list[str]:
    """Email addresses from a list or from text separated by commas, semicolons or new lines: each checked,
    duplicates dropped, at most MAX_RECIPIENTS."""
    if isinstance(raw, str):
        raw = re.split(r"[,;\s]+", raw)
    seen: list[str] = []
    for item in raw or []:
        address = str(item or "").strip()
        if not address:
            continue
        if len(address) > 254:
            raise ServiceError("An email address is longer than 254 characters.", field="recipients")
        try:
            validate_email(address)
        except ValidationError:
            raise ServiceError(f"“{address[:80]}” is not an email address.", field="recipients") from None
        if address.lower() not in (s.lower() for s in seen):
            seen.append(address)
    if not seen:
        raise ServiceError("Give at least one email address to send the report to.", field="recipients")
    if len(seen) > MAX_RECIPIENTS:
        raise ServiceError(f"A report goes to at most {MAX_RECIPIENTS} addresses.", field="recipients")
    return seen


def _clean(*, name: str, frequency: str, recipients, filters: dict | None) -> dict:
    name = clean_name(name, what="report")
    if frequency not in ScheduledReport.Frequency.values:
        raise ServiceError(
            f"Frequency: one of {', '.join(ScheduledReport.Frequency.values)}.", field="frequency"
        )
    clean_filters = clean_slice(filters, FILTER_KEYS)
    return {
        "name": name,
        "frequency": frequency,
        "recipients": parse_recipients(recipients),
        "filters": clean_filters,
    }


def report_save(
    *,
    workspace,
    actor=None,
    name: str,
    frequency: str,
    recipients,
    filters: dict | None = None,
    now: datetime | None = None,
) -> ScheduledReport:
    """Schedule a report. ServiceError for bad input, Conflict for a name in use."""
    from .tasks import ensure_tick

    fields = _clean(name=name, frequency=frequency, recipients=recipients, filters=filters)
    if ScheduledReport.objects.filter(workspace=workspace).count() >= MAX_REPORTS:
        raise ServiceError(f"A workspace has at most {MAX_REPORTS} scheduled reports.", field="name")
    report = ScheduledReport(workspace=workspace, created_by=actor, **fields)
    report.next_run_at = next_send_at(frequency, now or timezone.now(), workspace.zone)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        raise Conflict(f"A report named “{fields['name']}” exists already.", field="name") from None
    transaction.on_commit(ensure_tick)
    return report


def report_delete(*, workspace, report_id: int) -> None:
    report_get(workspace=workspace, report_id=report_id).delete()
