"""Dashboards › Overview (/dashboards/): the default CX overview of a workspace.

Metric cards (NPS, CSAT, CES, volume, each with its 95% interval, n, and the change against the period of the
same length just before with the test that decides it), NPS/CSAT/CES trends with their confidence bands,
volume by channel, sentiment by touchpoint, NPS by region and by region over time, themes whose volume rose
or fell significantly, and the latest verbatims. Dashboard-wide filters (period, channel, segment, region,
touchpoint) apply to every widget, and every bar, row and point links to the Inbox with the same filters.

The view parses the GET form into a `Selection`, reads the figures through selectors.overview (each widget one
engine call), and shapes them for the template here. Dates are the workspace's calendar days; the last day
of a period is included, as in the Inbox.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm
from cxloop.core import charts
from cxloop.feedback.models import Channel

from . import engine, formatting, selectors
from .formatting import fmt, fmt_diff, fmt_interval, fmt_p

PERIODS = (
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("12m", "Last 12 months"),
    ("custom", "Custom dates"),
)
DEFAULT_PERIOD = "12m"
MAX_TEXT = 100
FIRST_YEAR, LAST_YEAR = 1970, 2100  # custom dates outside these are a typing error, not a period
MAX_REGIONS = 12  # rows of the region × time table
METRIC_NAMES = {
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "CES",
    "volume": "Volume",
    "sentiment": "Sentiment index",
}
METRIC_HINTS = {
    "nps": "% promoters − % detractors",
    "csat": "% satisfied (top-2 box)",
    "ces": "mean effort score (higher is easier)",
    "volume": "feedback items",
}
SIGNED = formatting.SIGNED
ANSWER_OF = {"nps": "nps", "csat": "csat", "ces": "ces"}  # the Inbox's answer= for a metric


# -- the selection ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Selection:
    period: str
    since: date  # first day counted (workspace calendar)
    until: date  # last day counted, included
    channel: str
    segment: str
    region: str
    touchpoint: str
    filters: engine.MetricFilter
    time_group: str  # day, week or month: the trends' step

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def before(self) -> tuple[date, date]:
        """The period of the same length just before (what the changes compare with)."""
        return self.since - timedelta(days=self.days), self.since - timedelta(days=1)

    def inbox(self, *, since: date | None = None, until: date | None = None, **extra: str) -> str:
        """The Inbox with the dashboard's filters, a narrower period, and more filters (answer=, theme=…)."""
        params = {
            "since": max(since or self.since, self.since).isoformat(),
            "until": min(until or self.until, self.until).isoformat(),
        }
        for name in ("channel", "segment", "region", "touchpoint"):
            if getattr(self, name):
                params[name] = getattr(self, name)
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return reverse("inbox") + "?" + urlencode(params)


def _months_back(day: date, months: int) -> date:
    """The first day of the month `months` before day's month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _period(params, today: date, errors: dict[str, str]) -> tuple[str, date | None, date | None]:
    period = params.get("period") or (
        "custom" if params.get("since") or params.get("until") else DEFAULT_PERIOD
    )
    if period == "30":
        return period, today - timedelta(days=29), today
    if period == "90":
        return period, today - timedelta(days=89), today
    if period == "12m":
        return period, _months_back(today, 11), today
    if period != "custom":
        errors["period"] = "Unknown period; choose one from the list."
        return DEFAULT_PERIOD, None, None
    bounds = []
    for name in ("since", "until"):
        text = (params.get(name) or "").strip()
        day = _date(text) if text else None
        if not text:
            errors[name] = "Give both dates of a custom period."
        elif day is None:
            errors[name] = "Give a date as YYYY-MM-DD."
        elif not FIRST_YEAR <= day.year <= LAST_YEAR:
            errors[name] = f"Give a date between {FIRST_YEAR} and {LAST_YEAR}."
            day = None
        bounds.append(day)
    since, until = bounds
    if since and until and since > until:
        errors["until"] = "The end date is before the start date."
    return period, since, until


def _time_group(days: int) -> str:
    return "day" if days <= 14 else "week" if days <= 90 else "month"


def parse_selection(params, *, workspace, today: date) -> tuple[Selection | None, dict[str, str]]:
    """(Selection or None, {field: message}) from the GET form."""
    errors: dict[str, str] = {}
    period, since, until = _period(params, today, errors)
    texts = {
        n: (params.get(n) or "").strip()[:MAX_TEXT] for n in ("channel", "segment", "region", "touchpoint")
    }
    if texts["channel"] and texts["channel"] not in Channel.values:
        errors["channel"] = "Unknown channel; choose one from the list."
    if errors or since is None or until is None:
        return None, errors
    tz = workspace.zone
    filters = engine.MetricFilter(
        since=datetime.combine(since, time.min, tzinfo=tz),
        until=datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz),
        channel=texts["channel"],
        segment=texts["segment"],
        region=texts["region"],
        touchpoint=texts["touchpoint"],
    )
    days = (until - since).days + 1
    return Selection(period, since, until, filters=filters, time_group=_time_group(days), **texts), {}


# -- figures as the page prints them ------------------------------------------------------------------------
def shown(group: str, label: str) -> str:
    if label == "":
        return f"(no {group})"
    if group == "channel":
        return dict(Channel.choices).get(label, label)
    return label


def _span(time_group: str, key: str | None) -> tuple[date, date] | None:
    """The first and last day of a time group from its key (its first day)."""
    start = _date(key or "")
    if start is None:
        return None
    if time_group == "day":
        return start, start
    if time_group == "week":
        return start, start + timedelta(days=6)
    return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])


def _periods(selection: Selection) -> list[tuple[str, date]]:
    """Every (label, first day) of the time group across the selection, so that a period without answers
    shows as a gap rather than vanishing; labels as the engine gives them."""
    out, group = [], selection.time_group
    if group == "day":
        day = selection.since
        while day <= selection.until:
            out.append((day.isoformat(), day))
            day += timedelta(days=1)
    elif group == "week":
        day = selection.since - timedelta(days=selection.since.weekday())
        while day <= selection.until:
            out.append((day.isoformat(), day))
            day += timedelta(days=7)
    else:
        day = selection.since.replace(day=1)
        while day <= selection.until:
            out.append((f"{day.year:04d}-{day.month:02d}", day))
            day = _months_back(day, -1)
    return out


# -- cards ---------------------------------------------------------------------------------------------------
@dataclass
class Card:
    metric: str
    name: str
    hint: str
    value: str
    interval: str
    n: int
    too_few: bool
    change: str  # one sentence: the change and its test, or why there is none
    direction: str  # up, down, flat, none
    inbox: str
    detractors: str = ""  # NPS: the Inbox with the detractors


def change_sentence(
    metric: str, change: engine.Change | None, selection: Selection, *, name: str = ""
) -> tuple[str, str]:
    """(one sentence on the change against the period before, naming the figure when `name` is given; its
    direction: up, down, flat or none). The overview's cards and the dashboards' metric cards say it alike."""
    things = "feedback" if metric == "volume" else "answers"
    before_since, before_until = selection.before
    period = f"{before_since.isoformat()} to {before_until.isoformat()}"
    if change is None:
        return f"No {things} in this period or the one before.", "none"
    if change.baseline.n == 0:
        return (
            f"Nothing to compare with: no {things} from {period}.",
            "none",
        )
    if change.current.n == 0:
        return (
            f"No {things} in this period; {change.baseline.n:,} before.",
            "none",
        )
    if metric != "volume" and (change.current.too_few or change.baseline.too_few):
        return (
            f"Too few answers to test a change against {period} "
            f"(n={change.current.n:,} now, {change.baseline.n:,} before).",
            "none",
        )
    diff = fmt_diff(metric, change.difference)
    test = f"{change.test}, {fmt_p(change.p_value)}"
    if change.significant:
        return f"{name} {diff}".strip() + f" against {period}: significant ({test}).", change.direction
    return f"No significant change against {period} ({diff}; {test}).", "flat"


def starts_within_before(selection: Selection, first_day: date | None) -> bool:
    """Does the workspace's feedback start inside the period before (not at its first day or earlier)? Then
    a change in volume tells when the data began, not how customers behave."""
    return first_day is not None and selection.before[0] < first_day <= selection.before[1]


def build_cards(
    cards: dict[str, engine.Change | None], selection: Selection, *, first_day: date | None = None
) -> list[Card]:
    """The four cards; the volume's change is not tested when the feedback starts within the period before
    (scores still are: they are shares and means, not counts)."""
    partial = starts_within_before(selection, first_day)
    out = []
    for metric in selectors.CARD_METRICS:
        change = cards.get(metric)
        answer = ANSWER_OF.get(metric, "")
        card = Card(
            metric=metric,
            name=METRIC_NAMES[metric],
            hint=METRIC_HINTS[metric],
            value="–",
            interval="",
            n=0,
            too_few=False,
            change="No answers in this period or the one before.",
            direction="none",
            inbox=selection.inbox(answer=answer),
        )
        if metric == "nps":
            card.detractors = selection.inbox(answer="nps", score_max="6")
        if change is not None:
            cur = change.current
            card.n, card.too_few = cur.n, cur.too_few and metric != "volume"
            if cur.n:
                card.value = fmt(metric, cur.value)
                card.interval = fmt_interval(metric, cur.ci_low, cur.ci_high) if metric != "volume" else ""
            card.change, card.direction = change_sentence(
                metric, change, selection, name=METRIC_NAMES[metric]
            )
            if partial and metric == "volume" and change.baseline.n:
                card.change = (
                    f"Not compared: the feedback starts on {first_day.isoformat()}, within the period "
                    f"before ({selection.before[0].isoformat()} to {selection.before[1].isoformat()})."
                )
                card.direction = "none"
        out.append(card)
    return out


# -- trends --------------------------------------------------------------------------------------------------
@dataclass
class Trend:
    metric: str
    chart: charts.Chart
    links: list[tuple[str, str, int]]  # (period label, Inbox URL, n)


def build_trend(metric: str, result: engine.MetricResult, selection: Selection) -> Trend:
    by_key = {r.key: r for r in result.results}
    points, links = [], []
    for label, first in _periods(selection):
        r = by_key.get(first.isoformat())
        if r is None:
            points.append(charts.Point(label, None))
            continue
        points.append(charts.Point(label, r.value, r.ci_low, r.ci_high, r.n))
        span = _span(selection.time_group, r.key)
        if span:
            links.append(
                (label, selection.inbox(since=span[0], until=span[1], answer=ANSWER_OF[metric]), r.n)
            )
    title = f"{METRIC_NAMES[metric]} by {selection.time_group}, with its 95% confidence band"
    chart = charts.line_chart(
        title, points, value_label=METRIC_NAMES[metric], decimals=2 if metric == "ces" else 0
    )
    return Trend(metric=metric, chart=chart, links=links)


# -- bars with their tables ----------------------------------------------------------------------------------
@dataclass
class BarRow:
    label: str
    value: str
    interval: str
    n: int
    too_few: bool
    note: str
    links: list[tuple[str, str]]  # (text, Inbox URL)


@dataclass
class Bars:
    title: str
    svg: str  # the chart's SVG (every text inside escaped by cxloop.core.charts)
    headers: list[str]
    rows: list[BarRow]


def _svg(chart: charts.Chart) -> str:
    return mark_safe(chart.svg)  # noqa: S308 - charts.py escapes every text it draws


def build_volume_by_channel(result: engine.MetricResult, selection: Selection) -> Bars:
    total = sum(r.n for r in result.results) or 1
    title = "Volume by channel"
    bars = [charts.HBar(shown("channel", r.group), float(r.n), f"{r.n:,}") for r in result.results]
    rows = [
        BarRow(
            label=shown("channel", r.group),
            value=f"{r.n:,}",
            interval=f"{100 * r.n / total:.0f}%",
            n=r.n,
            too_few=False,
            note="",
            links=[("Feedback", selection.inbox(channel=r.group))],
        )
        for r in result.results
    ]
    chart = charts.hbar_chart(title, bars, headers=("Channel", "Items"))
    return Bars(title, _svg(chart), ["Channel", "Items", "Share"], rows)


def _signed_bars(
    title: str, metric: str, group: str, result: engine.MetricResult, links
) -> tuple[str, list[BarRow]]:
    bars, rows = [], []
    for r in result.results:
        if r.value is None:
            continue
        label = shown(group, r.group)
        bars.append(charts.HBar(label, r.value, fmt(metric, r.value), low=r.ci_low, high=r.ci_high))
        rows.append(
            BarRow(
                label=label,
                value=fmt(metric, r.value),
                interval=fmt_interval(metric, r.ci_low, r.ci_high),
                n=r.n,
                too_few=r.too_few,
                note=f"too few answers (n={r.n})" if r.too_few else "",
                links=links(r) if r.group else [],
            )
        )
    chart = charts.hbar_chart(
        title,
        bars,
        headers=(group.title(), METRIC_NAMES[metric]),
        scale=(-100.0, 100.0),
        desc=f"{title}, on a scale from −100 to +100, each bar with its 95% interval: "
        + "; ".join(f"{b.label}: {b.text}" for b in bars),
    )
    return _svg(chart), rows


def build_sentiment_by_touchpoint(result: engine.MetricResult, selection: Selection) -> Bars:
    title = "Sentiment index by touchpoint"

    def links(r):
        return [
            ("Feedback", selection.inbox(touchpoint=r.group)),
            ("Negative", selection.inbox(touchpoint=r.group, sentiment="negative")),
        ]

    svg, rows = _signed_bars(title, "sentiment", "touchpoint", result, links)
    return Bars(title, svg, ["Touchpoint", "Sentiment index", "95% CI", "n"], rows)


def build_nps_by_region(result: engine.MetricResult, selection: Selection) -> Bars:
    title = "NPS by region"

    def links(r):
        return [
            ("Answers", selection.inbox(region=r.group, answer="nps")),
            ("Detractors", selection.inbox(region=r.group, answer="nps", score_max="6")),
        ]

    svg, rows = _signed_bars(title, "nps", "region", result, links)
    return Bars(title, svg, ["Region", "NPS", "95% CI", "n"], rows)


# -- NPS by region over time ---------------------------------------------------------------------------------
@dataclass
class Cell:
    value: str
    n: int
    too_few: bool
    heat: str  # a CSS class by value band
    mark: str  # "below"/"above": the cell's 95% interval lies wholly below/above the selection's NPS
    title: str
    inbox: str


@dataclass
class Heatmap:
    periods: list[str]
    rows: list[tuple[str, list[Cell | None]]]
    below: list[tuple[str, str, Cell]]  # (region, period, cell) clearly below the overall NPS
    above: list[tuple[str, str, Cell]]
    overall: str


def _heat(value: float | None) -> str:
    if value is None:
        return "heat-none"
    for bound, name in ((-20, "heat-1"), (0, "heat-2"), (20, "heat-3"), (40, "heat-4")):
        if value < bound:
            return name
    return "heat-5"


def build_heatmap(result: engine.MetricResult, selection: Selection, overall: float | None) -> Heatmap:
    periods = _periods(selection)
    totals: dict[str, int] = {}
    for r in result.results:
        totals[r.group] = totals.get(r.group, 0) + r.n
    regions = [g for g in sorted(totals, key=lambda g: (-totals[g], g)) if g][:MAX_REGIONS]
    cells = {(r.group, r.key2): r for r in result.results}
    heatmap = Heatmap([label for label, _ in periods], [], [], [], fmt("nps", overall))
    for region in regions:
        line: list[Cell | None] = []
        for label, first in periods:
            r = cells.get((region, first.isoformat()))
            if r is None:
                line.append(None)
                continue
            mark = ""
            if overall is not None and not r.too_few and r.ci_low is not None and r.ci_high is not None:
                mark = "below" if r.ci_high < overall else "above" if r.ci_low > overall else ""
            span = _span(selection.time_group, r.key2) or (selection.since, selection.until)
            cell = Cell(
                value=fmt("nps", r.value),
                n=r.n,
                too_few=r.too_few,
                heat="heat-few" if r.too_few else _heat(r.value),
                mark=mark,
                title=f"{region}, {label}: NPS {fmt('nps', r.value)}, 95% CI "
                f"{fmt_interval('nps', r.ci_low, r.ci_high)}, n={r.n}"
                + (" (too few answers)" if r.too_few else ""),
                inbox=selection.inbox(since=span[0], until=span[1], region=region, answer="nps"),
            )
            line.append(cell)
            if mark == "below":
                heatmap.below.append((region, label, cell))
            elif mark == "above":
                heatmap.above.append((region, label, cell))
        heatmap.rows.append((region, line))
    return heatmap


# -- themes --------------------------------------------------------------------------------------------------
@dataclass
class ThemeMove:
    label: str
    before: int
    now: int
    difference: str
    test: str
    inbox: str


def build_theme_moves(changes: list[engine.Change], selection: Selection) -> tuple[list, list, int]:
    """(rising, falling, themes tested): the themes whose volume changed significantly."""
    rising, falling = [], []
    for c in changes:
        if not c.significant:
            continue
        move = ThemeMove(
            label=c.group,
            before=c.baseline.n,
            now=c.current.n,
            difference=fmt_diff("volume", c.difference),
            test=f"{c.test}, {fmt_p(c.p_value)}",
            inbox=selection.inbox(theme=c.key or ""),
        )
        (rising if c.direction == "up" else falling).append(move)
    return rising, falling, len(changes)


# -- the page ------------------------------------------------------------------------------------------------
def _choices(request) -> dict:
    workspace = request.workspace
    return {
        "periods": PERIODS,
        "channels": Channel.choices,
        "segments": selectors.customer_values(workspace=workspace, field="segment"),
        "regions": selectors.customer_values(workspace=workspace, field="region"),
        "touchpoints": selectors.touchpoints(workspace=workspace),
    }


@require_GET
@workspace_view(Perm.VIEW_DATA)
def overview(request):
    workspace = request.workspace
    values = {k: request.GET.get(k, "") for k in request.GET}
    context: dict = {"here": "dashboards", "f": values}
    first = selectors.first_feedback_at(workspace=workspace)
    if first is None:
        return render(request, "metrics/overview.html", {**context, "no_data": True})
    today = timezone.now().astimezone(workspace.zone).date()
    selection, errors = parse_selection(request.GET, workspace=workspace, today=today)
    asked = values.get("period") or (
        "custom" if values.get("since") or values.get("until") else DEFAULT_PERIOD
    )
    context.update(
        _choices(request), errors=errors, selection=selection, current_period=asked, min_n=engine.MIN_N
    )
    if selection is None:
        return render(request, "metrics/overview.html", context)
    cards = selectors.overview_cards(workspace=workspace, filters=selection.filters)
    # feedback that starts inside the period before makes its volumes incomparable (not its scores)
    first_day = first.astimezone(workspace.zone).date()
    partial = starts_within_before(selection, first_day)
    context.update(cards=build_cards(cards, selection, first_day=first_day), first_day=first_day)
    if selectors.selection_is_empty(cards):
        context["empty_selection"] = True
        return render(request, "metrics/overview.html", context)
    data = selectors.overview(
        workspace=workspace, filters=selection.filters, time_group=selection.time_group, cards=cards
    )
    nps_card = cards.get("nps")
    overall_nps = nps_card.current.value if nps_card and nps_card.current.n else None
    rising, falling, tested = build_theme_moves(data.theme_changes, selection)
    previous_empty = cards["volume"] is None or cards["volume"].baseline.n == 0 or partial
    context.update(
        trends=[build_trend(m, data.trends[m], selection) for m in selectors.TREND_METRICS],
        by_channel=build_volume_by_channel(data.volume_by_channel, selection),
        by_touchpoint=build_sentiment_by_touchpoint(data.sentiment_by_touchpoint, selection),
        by_region=build_nps_by_region(data.nps_by_region, selection),
        heatmap=build_heatmap(data.nps_by_region_over_time, selection, overall_nps),
        rising=rising,
        falling=falling,
        themes_tested=tested,
        previous_empty=previous_empty,
        partial_before=partial,
        before=selection.before,
        verbatims=data.verbatims,
        all_feedback_url=selection.inbox(),
    )
    return render(request, "metrics/overview.html", context)
