"""Dashboards › Explorer: one metric of the workspace, filtered, by up to two groups, as a table and a chart,
with each row linked to the Inbox items behind it, and the same figures as a CSV or XLSX download.

The view parses the GET form into a `Selection` (every bad value becomes a message beside its field, the
page still answers 200), calls the metrics engine once (cxloop/metrics/engine.py: one query, each figure
with its 95% interval, n and too-few flag), and renders. Dates are the workspace's own calendar days: the
period's last day is included, as in the Inbox.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm
from cxloop.analysis.models import Theme
from cxloop.core import charts
from cxloop.core.chart_png import charts_png
from cxloop.core.exceptions import ServiceError
from cxloop.customers.models import Customer
from cxloop.feedback import selectors as feedback_selectors
from cxloop.feedback.models import Channel

from . import engine, exports, formatting
from .formatting import fmt, fmt_interval

METRIC_LABELS = {
    "nps": "NPS",
    "csat": "CSAT (% satisfied)",
    "ces": "CES (mean effort)",
    "rating": "Star rating",
    "volume": "Volume",
    "sentiment": "Sentiment index",
    "theme_share": "Theme share (% of read texts)",
    "enps": "eNPS (employees)",
    "response_rate": "Response rate (% of invitations)",
    "mean": "Mean of one question (give its key)",
}
GROUP_LABELS = {
    "channel": "Channel",
    "source": "Source",
    "touchpoint": "Touchpoint",
    "segment": "Segment",
    "region": "Region",
    "country": "Country",
    "plan": "Plan",
    "theme": "Theme",
    "day": "Day",
    "week": "Week",
    "month": "Month",
    "quarter": "Quarter",
}
TIME_GROUPS = ("day", "week", "month", "quarter")
PERIODS = (
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("12m", "Last 12 months"),
    ("all", "All time"),
    ("custom", "Custom dates"),
)
DEFAULTS = {"metric": "nps", "group_by": "month", "period": "12m"}  # a first visit, without a query
SIGNED, PERCENT, MEANS = formatting.SIGNED, formatting.PERCENT, formatting.MEANS
MAX_TEXT = 200  # characters of a free-text filter
MAX_TABLE_ROWS = 500  # rows shown on the page (the export has them all)
MAX_CHARTS = 6  # small multiples when there are two groups
MAX_BARS = 30  # bars of one horizontal bar chart
FILTER_FIELDS = ("channel", "source", "touchpoint", "segment", "region", "theme", "sentiment", "answer_key")
ANSWER_METRICS = ("nps", "csat", "ces", "rating")
INBOX_GROUPS = ("channel", "source", "touchpoint", "segment", "region", "theme")  # the Inbox's filters
FORM_FIELDS = ("metric", "group_by", "then_by", "period", "since", "until", *FILTER_FIELDS)


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric.replace("_", " ").capitalize())


def group_label(group: str | None) -> str:
    return GROUP_LABELS.get(group, group.replace("_", " ").capitalize()) if group else ""


def metric_choices() -> list[tuple[str, str]]:
    return [(m, metric_label(m)) for m in engine.METRICS]


def group_choices() -> list[tuple[str, str]]:
    return [(g, group_label(g)) for g in engine.GROUPS]


# -- reads for the form's menus (each one query on the workspace's own rows) --------------------------------
def theme_choices(*, workspace) -> list[tuple[Theme, str]]:
    """The workspace's themes with their path ("Delivery › Late"), in path order."""
    themes = Theme.objects.filter(workspace=workspace).select_related("parent")
    labelled = [(t, f"{t.parent.name} › {t.name}" if t.parent_id else t.name) for t in themes]
    return sorted(labelled, key=lambda pair: pair[1].casefold())


def segment_choices(*, workspace, limit: int = 200) -> list[str]:
    """The distinct customer segments (on the (workspace, segment) index)."""
    qs = Customer.objects.filter(workspace=workspace).exclude(segment="")
    return list(qs.order_by("segment").values_list("segment", flat=True).distinct()[:limit])


# -- the selection ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Selection:
    metric: str
    group_by: str | None
    then_by: str | None
    period: str
    since: date | None  # first day counted (workspace calendar)
    until: date | None  # last day counted, included
    filters: engine.MetricFilter
    theme_label: str = ""
    texts: dict[str, str] = field(default_factory=dict)  # the filters as given, for links and descriptions

    def describe(self) -> list[tuple[str, str]]:
        """(name, value) lines saying what was counted, for the page and the exported files."""
        lines = [("Metric", metric_label(self.metric))]
        if self.group_by:
            lines.append(("Group by", group_label(self.group_by)))
        if self.then_by:
            lines.append(("Then by", group_label(self.then_by)))
        lines.append(("Period", period_text(self.since, self.until)))
        for name in FILTER_FIELDS:
            value = self.theme_label if name == "theme" else self.texts.get(name, "")
            if value:
                lines.append(("Question" if name == "answer_key" else name.title(), value))
        return lines


def period_text(since: date | None, until: date | None) -> str:
    if since and until:
        return f"{since.isoformat()} to {until.isoformat()}"
    if since:
        return f"from {since.isoformat()}"
    if until:
        return f"until {until.isoformat()}"
    return "all time"


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
    period = params.get("period") or ("custom" if params.get("since") or params.get("until") else "all")
    if period == "30":
        return period, today - timedelta(days=29), today
    if period == "90":
        return period, today - timedelta(days=89), today
    if period == "12m":
        return period, _months_back(today, 11), today
    if period == "all":
        return period, None, None
    if period != "custom":
        errors["period"] = "Unknown period; choose one from the list."
        return "all", None, None
    bounds = []
    for name in ("since", "until"):
        text = (params.get(name) or "").strip()
        day = _date(text) if text else None
        if text and day is None:
            errors[name] = "Give a date as YYYY-MM-DD."
        bounds.append(day)
    since, until = bounds
    if since and until and since > until:
        errors["until"] = "The end date is before the start date."
    return period, since, until


def form_values(params) -> dict[str, str]:
    """The form's values: the GET parameters, with the defaults on a first visit (no metric, group or period
    asked for)."""
    values = {k: params.get(k) or "" for k in params}
    if not any(values.get(k) for k in ("metric", "group_by", "then_by", "period")):
        values.update(DEFAULTS)
    return values


def parse_selection(params, *, workspace, themes: list[tuple[Theme, str]], today: date):
    """(Selection or None, {field: message}) from the form's values (see form_values)."""
    errors: dict[str, str] = {}
    metric = params.get("metric") or "nps"
    if metric not in engine.METRICS:
        errors["metric"] = "Unknown metric; choose one from the list."
    group_by = params.get("group_by") or None
    then_by = params.get("then_by") or None
    if group_by is not None and group_by not in engine.GROUPS:
        errors["group_by"] = "Unknown group; choose one from the list."
    if then_by is not None:
        if then_by not in engine.GROUPS:
            errors["then_by"] = "Unknown group; choose one from the list."
        elif group_by is None:
            errors["then_by"] = "Choose a first group before a second one."
        elif then_by == group_by:
            errors["then_by"] = "Choose a second group other than the first."
    period, since, until = _period(params, today, errors)
    texts = {name: (params.get(name) or "").strip()[:MAX_TEXT] for name in FILTER_FIELDS}
    if texts["channel"] and texts["channel"] not in Channel.values:
        errors["channel"] = "Unknown channel; choose one from the list."
    if texts["sentiment"] and texts["sentiment"] not in engine.SENTIMENTS:
        errors["sentiment"] = "Unknown sentiment; choose one from the list."
    theme_id, theme_label = None, ""
    if texts["theme"]:
        found = [(t, label) for t, label in themes if str(t.pk) == texts["theme"]]
        if found:
            theme_id, theme_label = found[0][0].pk, found[0][1]
        else:
            errors["theme"] = "Unknown theme; choose one from the list."
    if errors:
        return None, errors
    tz = workspace.zone
    filters = engine.MetricFilter(
        since=datetime.combine(since, time.min, tzinfo=tz) if since else None,
        until=datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz) if until else None,
        channel=texts["channel"],
        source=texts["source"],
        touchpoint=texts["touchpoint"],
        segment=texts["segment"],
        region=texts["region"],
        theme_id=theme_id,
        sentiment=texts["sentiment"],
        answer_key=texts["answer_key"],
    )
    selection = Selection(
        metric=metric,
        group_by=group_by,
        then_by=then_by,
        period=period,
        since=since,
        until=until,
        filters=filters,
        theme_label=theme_label,
        texts=texts,
    )
    return selection, {}


def run(selection: Selection, *, workspace) -> engine.MetricResult:
    """The engine's answer for the selection (one query); ServiceError for a choice it refuses."""
    return engine.metric(
        workspace=workspace,
        metric=selection.metric,
        filters=selection.filters,
        group_by=selection.group_by,
        then_by=selection.then_by,
    )


# -- figures as the page prints them ------------------------------------------------------------------------
def shown(group: str | None, label: str | None) -> str:
    """A group's label for people: channels by name, an empty value as "(none)"."""
    if label is None:
        return ""
    if label == "":
        return "(none)"
    if group == "channel":
        return dict(Channel.choices).get(label, label)
    return label


def period_of(group: str, label: str) -> tuple[date, date] | None:
    """The first and last day (included) of a time group's label: 2026-01-05 (a day, or a week's Monday),
    2026-01, 2026-Q1."""
    try:
        if group in ("day", "week"):
            start = date.fromisoformat(label)
            return start, start + timedelta(days=0 if group == "day" else 6)
        year, part = label.split("-")
        if group == "month":
            y, m = int(year), int(part)
            return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
        if group == "quarter" and part[:1] == "Q":
            y, q = int(year), int(part[1:])
            first = date(y, 3 * q - 2, 1)
            last_month = 3 * q
            return first, date(y, last_month, calendar.monthrange(y, last_month)[1])
    except (ValueError, TypeError):
        return None
    return None


def inbox_url(selection: Selection, row, theme_ids: dict[str, int]) -> str | None:
    """The Inbox with the selection's filters and the row's groups as filters (row None: the whole
    selection); None when a group cannot be a filter there (an empty segment, a country or plan, an unknown
    theme, an unreadable period; the response rate, which counts invitations, not feedback)."""
    if selection.metric == "response_rate" or selection.texts.get("answer_key"):
        return None  # the Inbox filters neither invitations nor a question's key
    params: dict[str, str] = {
        name: value for name, value in selection.texts.items() if value and name != "theme"
    }
    if selection.metric in ANSWER_METRICS:  # items with an answer of the metric's type, as counted
        params["answer"] = selection.metric
    if selection.filters.theme_id is not None:
        params["theme"] = str(selection.filters.theme_id)
    since, until = selection.since, selection.until
    groups = (
        ()
        if row is None
        else (
            (selection.group_by, row.group, row.key),
            (selection.then_by, row.group2, row.key2),
        )
    )
    for group, label, key in groups:
        if group is None:
            continue
        if not label:
            return None
        if group in TIME_GROUPS:
            span = period_of(group, label)
            if span is None:
                return None
            since = max(since, span[0]) if since else span[0]
            until = min(until, span[1]) if until else span[1]
        elif group not in INBOX_GROUPS:
            return None
        elif group == "theme":
            theme_id = key if key and str(key).isdigit() else theme_ids.get(label)
            if theme_id is None:
                return None
            params["theme"] = str(theme_id)
        else:
            params[group] = label
    if since:
        params["since"] = since.isoformat()
    if until:
        params["until"] = until.isoformat()
    query = urlencode(params)
    return reverse("inbox") + (f"?{query}" if query else "")


@dataclass
class Row:
    group: str
    group2: str
    value: str
    interval: str
    n: int
    too_few: bool
    inbox: str | None


def table_rows(selection: Selection, result: engine.MetricResult, theme_ids: dict[str, int]) -> list[Row]:
    metric = selection.metric
    return [
        Row(
            group=shown(selection.group_by, r.group) if selection.group_by else "All feedback",
            group2=shown(selection.then_by, r.group2) if selection.then_by else "",
            value=fmt(metric, r.value),
            interval=fmt_interval(metric, r.ci_low, r.ci_high),
            n=r.n,
            too_few=r.too_few,
            inbox=inbox_url(selection, r, theme_ids),
        )
        for r in result.results[:MAX_TABLE_ROWS]
    ]


# -- charts -------------------------------------------------------------------------------------------------
def _decimals(metric: str) -> int:
    return 2 if metric in MEANS else 0


def _scale(metric: str) -> tuple[float, float] | None:
    if metric in SIGNED:
        return (-100.0, 100.0)
    if metric in PERCENT:
        return (0.0, 100.0)
    return None


def _note(r) -> str:
    return f"too few answers (fewer than {engine.MIN_N})" if r.too_few else ""


def _line(title: str, metric: str, points: list[charts.Point]) -> charts.Chart:
    return charts.line_chart(
        title,
        points,
        value_label=metric_label(metric),
        decimals=_decimals(metric),
        y_range=_scale(metric) if metric in SIGNED else None,
    )


def _hbar(title: str, metric: str, group: str, results) -> charts.Chart:
    bars = [
        charts.HBar(
            label=shown(group, label),
            value=r.value,
            text=fmt(metric, r.value),
            low=r.ci_low,
            high=r.ci_high,
            extra=(fmt_interval(metric, r.ci_low, r.ci_high), str(r.n), _note(r)),
        )
        for label, r in results
        if r.value is not None
    ][:MAX_BARS]
    return charts.hbar_chart(
        title,
        bars,
        headers=(group_label(group), metric_label(metric), "95% CI", "n", "Note"),
        scale=_scale(metric),
    )


def _largest_note(shown_count: int, total: int, group: str) -> str:
    if total <= shown_count:
        return ""
    what = group_label(group).lower()
    return f"Charts for the {shown_count} largest of {total} {what} values; the table lists them all."


def _lines_per_value(metric: str, results, *, time_first: bool, time_group: str, other: str):
    """One line over time per value of the other group (the largest MAX_CHARTS by n); gaps where a period
    has no answers for it."""
    by_value: dict[str, dict[str, engine.GroupResult]] = {}
    for r in results:
        period, value = (r.group, r.group2) if time_first else (r.group2, r.group)
        by_value.setdefault(value, {})[period] = r
    periods = sorted({p for rows in by_value.values() for p in rows})
    totals = {v: sum(r.n for r in rows.values()) for v, rows in by_value.items()}
    out = []
    for value in sorted(totals, key=lambda v: (-totals[v], v))[:MAX_CHARTS]:
        rows = by_value[value]
        points = [
            charts.Point(p, rows[p].value, rows[p].ci_low, rows[p].ci_high, rows[p].n)
            if p in rows
            else charts.Point(p, None)
            for p in periods
        ]
        title = f"{metric_label(metric)} by {time_group}: {group_label(other)} {shown(other, value)}"
        out.append(_line(title, metric, points))
    return out, _largest_note(len(out), len(totals), other)


def build_charts(selection: Selection, result: engine.MetricResult) -> tuple[list[charts.Chart], str]:
    """(charts, a note on what they leave out). One group: a line with its 95% band over time, or a bar per
    group with its interval. Two groups: small multiples, one line over time per value of the other group
    when one of them is time, else a bar chart per first-level group; the largest MAX_CHARTS by n."""
    metric, first, second = selection.metric, selection.group_by, selection.then_by
    results, name = result.results, metric_label(metric)
    if first is None or not results:
        return [], ""
    if second is None and first in TIME_GROUPS:
        points = [charts.Point(r.group, r.value, r.ci_low, r.ci_high, r.n) for r in results]
        return [_line(f"{name} by {first}", metric, points)], ""
    if second is None:
        note = f"The chart shows the {MAX_BARS} largest groups." if len(results) > MAX_BARS else ""
        return [
            _hbar(f"{name} by {group_label(first)}", metric, first, [(r.group, r) for r in results])
        ], note
    if first in TIME_GROUPS:
        return _lines_per_value(metric, results, time_first=True, time_group=first, other=second)
    if second in TIME_GROUPS:
        return _lines_per_value(metric, results, time_first=False, time_group=second, other=first)
    by_first: dict[str, list[engine.GroupResult]] = {}
    for r in results:
        by_first.setdefault(r.group, []).append(r)
    largest = sorted(by_first, key=lambda g: (-sum(r.n for r in by_first[g]), g))[:MAX_CHARTS]
    out = [
        _hbar(
            f"{name} by {group_label(second)}: {group_label(first)} {shown(first, g)}",
            metric,
            second,
            [(r.group2, r) for r in sorted(by_first[g], key=lambda r: -r.n)],
        )
        for g in largest
    ]
    return out, _largest_note(len(out), len(by_first), first)


# -- pages --------------------------------------------------------------------------------------------------
@dataclass
class Explored:
    """A request's parsed form and, when it is valid, the engine's answer."""

    values: dict[str, str]
    themes: list[tuple[Theme, str]]
    today: date
    selection: Selection | None
    errors: dict[str, str]
    result: engine.MetricResult | None = None


def explore(request) -> Explored:
    workspace = request.workspace
    today = timezone.now().astimezone(workspace.zone).date()
    themes = theme_choices(workspace=workspace)
    values = form_values(request.GET)
    selection, errors = parse_selection(values, workspace=workspace, themes=themes, today=today)
    explored = Explored(values=values, themes=themes, today=today, selection=selection, errors=errors)
    if selection is not None:
        try:
            explored.result = run(selection, workspace=workspace)
        except ServiceError as exc:
            errors[exc.field if exc.field in FORM_FIELDS else "form"] = exc.message
            explored.selection = None
    return explored


def _context(request, explored: Explored) -> dict:
    """Everything the page needs; `selection` None and `errors` filled when the form has bad values."""
    workspace = request.workspace
    context = {
        "f": explored.values,
        "metrics": metric_choices(),
        "groups": group_choices(),
        "periods": PERIODS,
        "channels": Channel.choices,
        "sentiments": engine.SENTIMENTS,
        "sources": feedback_selectors.sources(workspace=workspace),
        "segments": segment_choices(workspace=workspace),
        "themes": [(str(t.pk), label) for t, label in explored.themes],
        "errors": explored.errors,
        "selection": explored.selection,
        "result": explored.result,
        "rows": [],
        "charts": [],
        "min_n": engine.MIN_N,
        "export_query": urlencode({k: v for k, v in explored.values.items() if v and k != "format"}),
    }
    selection, result = explored.selection, explored.result
    if selection is None or result is None:
        return context
    theme_ids = {label: t.pk for t, label in explored.themes}
    chart_list, note = build_charts(selection, result)
    context.update(
        rows=table_rows(selection, result, theme_ids),
        truncated=len(result.results) > MAX_TABLE_ROWS,
        charts=chart_list,
        chart_note=note,
        signed=selection.metric in SIGNED  # bar charts only: no time group among the groups
        and selection.group_by is not None
        and not {selection.group_by, selection.then_by} & set(TIME_GROUPS),
        described=selection.describe(),
        metric_label=metric_label(selection.metric),
        group_label=group_label(selection.group_by) or "Selection",
        then_label=group_label(selection.then_by),
        inbox_all=inbox_url(selection, None, {}),
    )
    return context


@require_GET
@workspace_view(Perm.VIEW_DATA)
def explorer(request):
    return render(request, "metrics/explorer.html", _context(request, explore(request)))


@require_GET
@workspace_view(Perm.VIEW_DATA)
def explorer_export(request):
    """The explorer's figures as a file: ?<the page's parameters>&format=csv|xlsx|png (png: its charts, one
    above the other). Bad parameters answer the page with its messages (400)."""
    explored = explore(request)
    kind = request.GET.get("format", "")
    if kind not in ("csv", "xlsx", "png"):
        explored.errors["format"] = "Choose an export format: csv, xlsx or png."
    selection, result = explored.selection, explored.result
    if explored.errors or selection is None or result is None:
        return render(request, "metrics/explorer.html", _context(request, explored), status=400)
    about = [*selection.describe(), ("Time zone", result.time_zone), ("Exported", timezone.now().isoformat())]
    name = exports.filename(
        metric=selection.metric,
        group_by=selection.group_by,
        then_by=selection.then_by,
        since=selection.since,
        until=selection.until,
        ext=kind,
    )
    if kind == "png":
        chart_list, _ = build_charts(selection, result)
        if not chart_list:
            explored.errors["format"] = "This selection has no chart to download (no figures)."
            return render(request, "metrics/explorer.html", _context(request, explored), status=400)
        response = HttpResponse(charts_png(chart_list), content_type="image/png")
    elif kind == "csv":
        response = HttpResponse(exports.csv_text(result, about), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.xlsx_bytes(result, about),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
