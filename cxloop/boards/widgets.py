"""Each widget kind as one function: its data through the metrics engine (one `metric` call; a card one
`compare`, two queries; the driver matrix cxloop/metrics/drivers.py), then the context its template draws.

Filters: the dashboard's selection (period and the dashboard-wide channel, segment, region, touchpoint;
cxloop/metrics/views.py parses it as the overview does) with the widget's own slice on top. Where both
set the same field the widget's value wins, and `notes` says so under the widget. Drill-down links open
the Inbox with the same filters (cxloop/metrics/views_explorer.inbox_url), except when a widget filters
by country or plan, which the Inbox cannot.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from cxloop.analysis.models import Theme
from cxloop.core import charts
from cxloop.core.exceptions import ServiceError
from cxloop.metrics import drivers, engine
from cxloop.metrics import selectors as metric_selectors
from cxloop.metrics import views as overview
from cxloop.metrics import views_explorer as explorer
from cxloop.metrics.formatting import fmt_diff, fmt_p

from .models import Widget

BOARD_KEYS = ("channel", "segment", "region", "touchpoint")  # dashboard-wide filters a widget may override
MAX_HEAT_ROWS = 12
MAX_HEAT_COLUMNS = 16
TOP_THEMES = 10
VERBATIMS = 8
MAX_DRIVERS_LISTED = 8


@dataclass
class Rendered:
    widget: Widget
    template: str
    notes: list[str] = field(default_factory=list)  # the slice, and filters the widget overrides
    error: str = ""
    data: dict = field(default_factory=dict)


# -- filters -------------------------------------------------------------------------------------------------
def slice_of(
    widget: Widget, selection: overview.Selection, theme_labels: dict[int, str]
) -> tuple[explorer.Selection, list[str]]:
    """The widget's selection (an explorer Selection: figures, charts and Inbox links are the Explorer's)
    and the notes to print under it."""
    own = dict(widget.filters or {})
    theme_id = own.pop("theme", None)
    notes = []
    for key in BOARD_KEYS:
        board_value = getattr(selection, key)
        if key in own and board_value and board_value != own[key]:
            notes.append(
                f"This widget keeps {key} {explorer.shown(key, own[key])}: the dashboard's {key} filter "
                f"({explorer.shown(key, board_value)}) does not apply to it."
            )
    parts = [f"{key} {explorer.shown(key, value)}" for key, value in own.items()]
    if theme_id is not None:
        parts.append(f"theme {theme_labels.get(theme_id, '(removed)')}")
    if parts:
        notes.insert(0, "Only " + ", ".join(parts) + ".")
    filters = replace(selection.filters, theme_id=theme_id, **own)
    texts = {
        name: getattr(filters, name) or ""
        for name in ("channel", "source", "touchpoint", "segment", "region", "sentiment")
    }
    texts["theme"] = str(theme_id) if theme_id is not None else ""
    group_by, then_by = widget.group_by or None, widget.then_by or None
    if widget.kind == Widget.Kind.TREND:
        group_by = widget.group_by or selection.time_group
    chosen = explorer.Selection(
        metric=widget.metric or "volume",
        group_by=group_by,
        then_by=then_by,
        period=selection.period,
        since=selection.since,
        until=selection.until,
        filters=filters,
        theme_label=theme_labels.get(theme_id, "") if theme_id is not None else "",
        texts=texts,
    )
    return chosen, notes


def inbox(chosen: explorer.Selection, row=None, **extra: str) -> str | None:
    """The Inbox with the widget's filters (and a row's groups); None when it cannot filter that way."""
    if chosen.filters.country or chosen.filters.plan:
        return None
    url = explorer.inbox_url(chosen, row, {})
    if url and extra:
        url += ("&" if "?" in url else "?") + urlencode(extra)
    return url


def table_rows(chosen: explorer.Selection, result: engine.MetricResult) -> list[explorer.Row]:
    """The Explorer's rows (figure, interval, n, Inbox link) of the widget's result."""
    rows = explorer.table_rows(chosen, result, {})
    if chosen.filters.country or chosen.filters.plan:
        for row in rows:
            row.inbox = None
    return rows


# -- one function per kind -----------------------------------------------------------------------------------
def metric_card(widget, chosen, selection, *, workspace) -> dict:
    changes = engine.compare(workspace=workspace, metric=chosen.metric, filters=chosen.filters)
    change = changes[0] if changes else None
    sentence, direction = overview.change_sentence(chosen.metric, change, selection)
    current = change.current if change else None
    volume = chosen.metric == "volume"
    return {
        "value": explorer.fmt(chosen.metric, current.value) if current and current.n else "–",
        "interval": ""
        if volume or not current or not current.n
        else explorer.fmt_interval(chosen.metric, current.ci_low, current.ci_high),
        "n": current.n if current else 0,
        "too_few": bool(current and current.n and current.too_few and not volume),
        "change": sentence,
        "direction": direction,
        "inbox": inbox(chosen),
    }


def trend(widget, chosen, selection, *, workspace) -> dict:
    result = explorer.run(chosen, workspace=workspace)
    chart_list, _ = explorer.build_charts(chosen, result)
    rows = table_rows(chosen, result)
    return {"chart": chart_list[0] if chart_list else None, "rows": rows, "group": chosen.group_by}


def bar(widget, chosen, selection, *, workspace) -> dict:
    result = explorer.run(chosen, workspace=workspace)
    chart_list, note = explorer.build_charts(chosen, result)
    return {
        "chart": chart_list[0] if chart_list else None,
        "chart_note": note,
        "rows": table_rows(chosen, result),
        "group_label": explorer.group_label(chosen.group_by),
        "metric_label": explorer.metric_label(chosen.metric),
    }


def _scale(metric: str, values: list[float]) -> tuple[float, float]:
    if metric in explorer.SIGNED:
        return -100.0, 100.0
    if metric in explorer.PERCENT:
        return 0.0, 100.0
    return (min(values), max(values)) if values else (0.0, 1.0)


def _heat(value: float | None, lo: float, hi: float) -> str:
    if value is None:
        return "heat-none"
    share = 0.5 if hi <= lo else (value - lo) / (hi - lo)
    return f"heat-{min(5, 1 + int(max(0.0, share) * 5))}"


def heatmap(widget, chosen, selection, *, workspace) -> dict:
    """Rows: the first group's largest values; columns: the periods in order (a time group) or the second
    group's largest values; each cell its figure, greyed when too few, linked to its feedback."""
    result = explorer.run(chosen, workspace=workspace)
    metric, first, second = chosen.metric, chosen.group_by, chosen.then_by
    totals: dict[str, int] = {}
    totals2: dict[str, int] = {}
    sort2: dict[str, str] = {}
    for r in result.results:
        totals[r.group] = totals.get(r.group, 0) + r.n
        totals2[r.group2] = totals2.get(r.group2, 0) + r.n
        sort2.setdefault(r.group2, r.key2 or r.group2 or "")
    rows = sorted(totals, key=lambda g: (-totals[g], g))[:MAX_HEAT_ROWS]
    if second in explorer.TIME_GROUPS:
        columns = sorted(totals2, key=lambda g: sort2[g])[-MAX_HEAT_COLUMNS:]
    else:
        columns = sorted(totals2, key=lambda g: (-totals2[g], g))[:MAX_HEAT_COLUMNS]
    cells = {(r.group, r.group2): r for r in result.results}
    lo, hi = _scale(metric, [r.value for r in result.results if r.value is not None])
    grid = []
    for g in rows:
        line = []
        for g2 in columns:
            r = cells.get((g, g2))
            if r is None:
                line.append(None)
                continue
            interval = explorer.fmt_interval(metric, r.ci_low, r.ci_high)
            line.append(
                {
                    "value": explorer.fmt(metric, r.value),
                    "n": r.n,
                    "too_few": r.too_few,
                    "heat": "heat-few" if r.too_few else _heat(r.value, lo, hi),
                    "title": f"{explorer.shown(first, g)}, {explorer.shown(second, g2)}: "
                    f"{explorer.metric_label(metric)} {explorer.fmt(metric, r.value)}, 95% CI {interval}, "
                    f"n={r.n}" + (" (too few answers)" if r.too_few else ""),
                    "inbox": inbox(chosen, r),
                }
            )
        grid.append((explorer.shown(first, g), line))
    left_out = len(totals) - len(rows) + len(totals2) - len(columns)
    return {
        "columns": [explorer.shown(second, g2) for g2 in columns],
        "grid": grid,
        "rows_label": explorer.group_label(first),
        "table": table_rows(chosen, result),
        "group_label": explorer.group_label(first),
        "then_label": explorer.group_label(second),
        "metric_label": explorer.metric_label(metric),
        "left_out": left_out > 0,
    }


def driver_matrix(widget, chosen, selection, *, workspace) -> dict:
    result = drivers.key_drivers(workspace=workspace, outcome=chosen.metric, filters=chosen.filters)
    chart = None
    if result.drivers:
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
        chart = charts.quadrant_chart(
            f"Driver matrix of {unit}",
            points,
            x_split=result.mean_importance or 0.0,
            y_split=result.mean_performance or 0.0,
            x_label="Importance (% of R²)",
            y_label=f"Performance ({unit} of its items)",
            corners=("Maintain", "Keep", "Low priority", "Fix now"),
            headers=["Driver", "Importance (% of R²)", "Performance", "95% CI", "Quadrant", "Items"],
        )
    listed = [
        {
            "name": d.name,
            "quadrant": d.quadrant,
            "share": d.share,
            "direction": d.direction,
            "n": d.n_with,
            "inbox": inbox(replace(chosen, metric=result.outcome), None, theme=str(d.theme_id))
            if d.kind == "theme" and d.theme_id and chosen.filters.theme_id is None
            else None,
        }
        for d in result.drivers[:MAX_DRIVERS_LISTED]
    ]
    return {"result": result, "chart": chart, "drivers": listed, "more": len(result.drivers) > len(listed)}


def verbatims(widget, chosen, selection, *, workspace) -> dict:
    items = metric_selectors.latest_verbatims(workspace=workspace, filters=chosen.filters, limit=VERBATIMS)
    return {"items": items, "inbox": inbox(replace(chosen, metric="volume"), None, has_text="yes")}


def themes(widget, chosen, selection, *, workspace) -> dict:
    if chosen.metric == "theme_share":
        changes = engine.compare(
            workspace=workspace, metric="theme_share", filters=chosen.filters, group_by="theme"
        )
        moves = {"up": [], "down": []}
        for c in changes:
            if c.significant and c.direction in moves:
                moves[c.direction].append(
                    {
                        "label": c.group,
                        "before": explorer.fmt("theme_share", c.baseline.value),
                        "now": explorer.fmt("theme_share", c.current.value),
                        "difference": fmt_diff("theme_share", c.difference),
                        "test": f"{c.test}, {fmt_p(c.p_value)}",
                        "inbox": inbox(replace(chosen, metric="volume"), None, theme=c.key or ""),
                    }
                )
        return {"mode": "moves", "rising": moves["up"], "falling": moves["down"], "tested": len(changes)}
    result = engine.metric(
        workspace=workspace, metric="volume", filters=chosen.filters, group_by="theme", top_themes=TOP_THEMES
    )
    top = max((r.n for r in result.results), default=0) or 1
    listed = [
        {
            "label": r.group,
            "n": r.n,
            "width": f"w{round(10 * r.n / top)}",  # a bar in tenths of the largest (CSS classes, no style=)
            "inbox": inbox(chosen, r),
        }
        for r in result.results
    ]
    return {"mode": "top", "themes": listed}


KINDS = {
    Widget.Kind.METRIC_CARD: metric_card,
    Widget.Kind.TREND: trend,
    Widget.Kind.BAR: bar,
    Widget.Kind.HEATMAP: heatmap,
    Widget.Kind.DRIVER_MATRIX: driver_matrix,
    Widget.Kind.VERBATIMS: verbatims,
    Widget.Kind.THEMES: themes,
}


def theme_labels(widgets: list[Widget], *, workspace) -> dict[int, str]:
    """Labels of the themes the widgets filter by (one query, none when no widget has a theme)."""
    ids = {w.filters.get("theme") for w in widgets if (w.filters or {}).get("theme") is not None}
    if not ids:
        return {}
    found = Theme.objects.filter(workspace=workspace, pk__in=ids).select_related("parent")
    return {t.pk: f"{t.parent.name} › {t.name}" if t.parent_id else t.name for t in found}


def render(widget: Widget, selection: overview.Selection, *, workspace, labels: dict[int, str]) -> Rendered:
    chosen, notes = slice_of(widget, selection, labels)
    out = Rendered(widget=widget, template=f"boards/widgets/{widget.kind}.html", notes=notes)
    try:
        out.data = KINDS[widget.kind](widget, chosen, selection, workspace=workspace)
    except ServiceError as exc:  # e.g. the dashboard's touchpoint filter on a response-rate widget
        out.error = f"This widget cannot be drawn with these filters: {exc.message}"
    return out


def render_all(widgets: list[Widget], selection: overview.Selection, *, workspace) -> list[Rendered]:
    labels = theme_labels(widgets, workspace=workspace)
    return [render(w, selection, workspace=workspace, labels=labels) for w in widgets]
