"""Every write of dashboards and widgets, each checking the member's right to make it and validating every
field (a ServiceError names the field; PermissionDenied is a 403, NotFound a 404, Conflict a 409).

Widget rules, by kind (groups are the engine's, cxloop/metrics/engine.py):
    metric_card    a metric, no group: the figure with its change against the period before (engine.compare)
    trend          a metric over time: group_by a time group, or empty for the dashboard's own step
    bar            a metric by one group that is not time
    heatmap        a metric by two different groups (rows × columns), e.g. region × month
    driver_matrix  what moves NPS or CSAT (metric nps or csat; cxloop/metrics/drivers.py), no group
    verbatims      the latest texts of the slice; no metric or group (the Inbox's filters: no country/plan)
    themes         metric volume: the top themes by items; theme_share: themes rising and falling
                   against the period before (their share of read texts), group_by theme
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from cxloop.accounts.roles import Perm, has_perm
from cxloop.analysis.models import Theme
from cxloop.core.exceptions import Conflict, NotFound, PermissionDenied, ServiceError
from cxloop.feedback.models import Channel
from cxloop.metrics import drivers, engine
from cxloop.metrics import views as overview

from .models import Dashboard, Widget
from .selectors import can_edit

MAX_DASHBOARDS = 200  # per workspace
MAX_WIDGETS = 24  # per dashboard
MAX_NAME = 120
MAX_DESCRIPTION = 2000
MAX_VALUE = 100  # characters of a filter's value
TIME_GROUPS = ("day", "week", "month", "quarter")
BOARD_FILTER_KEYS = ("period", "since", "until", "channel", "segment", "region", "touchpoint")
WIDGET_FILTER_KEYS = (
    "channel",
    "source",
    "touchpoint",
    "segment",
    "region",
    "country",
    "plan",
    "sentiment",
    "theme",
)
THEME_LIST_METRICS = ("volume", "theme_share")
DEFAULT_SIZE = {Widget.Kind.HEATMAP: "full", Widget.Kind.DRIVER_MATRIX: "full"}


# -- access --------------------------------------------------------------------------------------------------
def _may_create(member) -> None:
    if not has_perm(member.role, Perm.ANALYSE):
        raise PermissionDenied("Building dashboards needs the analyst role.")


def _may_edit(dashboard: Dashboard, member) -> None:
    if dashboard.workspace_id != member.workspace_id:
        raise NotFound("No such dashboard.")
    if not dashboard.shared and dashboard.created_by_id != member.user_id:
        raise NotFound("No such dashboard.")
    if not can_edit(dashboard, member):
        raise PermissionDenied(
            "Only its creator, an admin or the owner may change this dashboard (with the analyst role)."
        )


# -- dashboards ----------------------------------------------------------------------------------------------
def clean_board_filters(filters: dict | None, *, workspace) -> dict:
    """The dashboard-wide defaults, parsed as the overview's filter form parses them (metrics/views.py);
    a bad value is a ServiceError naming the field. Empty values are left out."""
    raw = {k: str(v or "").strip() for k, v in (filters or {}).items()}
    unknown = sorted(set(raw) - set(BOARD_FILTER_KEYS))
    if unknown:
        raise ServiceError(
            f"Unknown dashboard filter {unknown[0][:40]!r}; use {', '.join(BOARD_FILTER_KEYS)}.",
            field="filters",
        )
    for key, value in raw.items():
        if len(value) > MAX_VALUE:
            raise ServiceError(f"The {key} filter is longer than {MAX_VALUE} characters.", field=key)
    clean = {k: v for k, v in raw.items() if v}
    if clean.get("period") != "custom":  # dates only belong to a custom period
        clean.pop("since", None)
        clean.pop("until", None)
    _, errors = overview.parse_selection(clean, workspace=workspace, today=date(2000, 1, 1))
    if errors:
        name, message = next(iter(errors.items()))
        raise ServiceError(message, field=name)
    return clean


def _clean_board(*, name: str, description: str, filters: dict | None, workspace) -> dict:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Give the dashboard a name.", field="name")
    if len(name) > MAX_NAME:
        raise ServiceError(f"The name is longer than {MAX_NAME} characters.", field="name")
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(
            f"The description is longer than {MAX_DESCRIPTION} characters.", field="description"
        )
    return {
        "name": name,
        "description": description,
        "filters": clean_board_filters(filters, workspace=workspace),
    }


def _save(obj, **kwargs) -> None:
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError:
        raise Conflict(f"A dashboard named “{obj.name}” exists already.", field="name") from None


def dashboard_create(
    *, member, name: str, description: str = "", shared: bool = False, filters: dict | None = None
) -> Dashboard:
    _may_create(member)
    workspace = member.workspace
    fields = _clean_board(name=name, description=description, filters=filters, workspace=workspace)
    if Dashboard.objects.filter(workspace=workspace).count() >= MAX_DASHBOARDS:
        raise ServiceError(f"A workspace has at most {MAX_DASHBOARDS} dashboards.", field="name")
    board = Dashboard(workspace=workspace, created_by=member.user, shared=bool(shared), **fields)
    _save(board)
    return board


def dashboard_update(
    *, member, dashboard: Dashboard, name: str, description: str, shared: bool, filters: dict | None
) -> Dashboard:
    _may_edit(dashboard, member)
    fields = _clean_board(name=name, description=description, filters=filters, workspace=member.workspace)
    for key, value in fields.items():
        setattr(dashboard, key, value)
    dashboard.shared = bool(shared)
    dashboard.updated_at = timezone.now()
    _save(dashboard, update_fields=[*fields, "shared", "updated_at"])
    return dashboard


def dashboard_delete(*, member, dashboard: Dashboard) -> None:
    _may_edit(dashboard, member)
    dashboard.delete()


# -- widgets -------------------------------------------------------------------------------------------------
def _theme_id(value, *, workspace) -> int:
    text = str(value).strip()
    if not text.isdigit() or not Theme.objects.filter(workspace=workspace, pk=int(text)).exists():
        raise ServiceError("Unknown theme; choose one of the workspace's themes.", field="theme")
    return int(text)


def clean_widget_filters(filters: dict | None, *, workspace) -> dict:
    """The widget's own slice: known keys only, a known channel and sentiment, a theme of the workspace (by
    id); empty values left out."""
    clean: dict = {}
    for key, value in (filters or {}).items():
        if key not in WIDGET_FILTER_KEYS:
            raise ServiceError(
                f"Unknown widget filter {str(key)[:40]!r}; use {', '.join(WIDGET_FILTER_KEYS)}.",
                field="filters",
            )
        text = str(value if value is not None else "").strip()
        if not text:
            continue
        if len(text) > MAX_VALUE:
            raise ServiceError(f"The {key} filter is longer than {MAX_VALUE} characters.", field=key)
        if key == "channel" and text not in Channel.values:
            raise ServiceError("Unknown channel; choose one from the list.", field="channel")
        if key == "sentiment" and text not in engine.SENTIMENTS:
            raise ServiceError(
                f"Unknown sentiment; choose one of {', '.join(engine.SENTIMENTS)}.", field="sentiment"
            )
        clean[key] = _theme_id(text, workspace=workspace) if key == "theme" else text
    return clean


def widget_metric_filter(filters: dict) -> engine.MetricFilter:
    """A widget's own slice as the engine's filter (no period: the dashboard gives it)."""
    values = {k: v for k, v in filters.items() if k != "theme"}
    return engine.MetricFilter(theme_id=filters.get("theme"), **values)


def _metric_label(metric: str) -> str:
    from cxloop.metrics.views_explorer import metric_label

    return metric_label(metric)


def _default_title(kind: str, metric: str, group_by: str, then_by: str, filters: dict) -> str:
    from cxloop.metrics.views_explorer import group_label

    if kind == Widget.Kind.VERBATIMS:
        title = f"Latest {filters['sentiment']} verbatims" if "sentiment" in filters else "Latest verbatims"
    elif kind == Widget.Kind.THEMES:
        title = "Themes rising and falling" if metric == "theme_share" else "Top themes"
    elif kind == Widget.Kind.DRIVER_MATRIX:
        title = f"What drives {_metric_label(metric)}"
    elif kind == Widget.Kind.TREND:
        title = f"{_metric_label(metric)} by {group_by or 'period'}"
    elif group_by:
        title = f"{_metric_label(metric)} by {group_label(group_by).lower()}"
        if then_by:
            title += f" and {group_label(then_by).lower()}"
    else:
        title = _metric_label(metric)
    return title[:MAX_NAME]


def _need_metric(metric: str, allowed=engine.METRICS) -> str:
    if metric not in allowed:
        raise ServiceError(f"Choose a metric: one of {', '.join(allowed)}.", field="metric")
    return metric


def _no_groups(kind: str, group_by: str, then_by: str) -> None:
    if group_by or then_by:
        raise ServiceError(f"A {Widget.Kind(kind).label.lower()} has no groups.", field="group_by")


def clean_widget(
    *,
    workspace,
    kind: str,
    title: str = "",
    metric: str = "",
    group_by: str = "",
    then_by: str = "",
    filters: dict | None = None,
    size: str = "",
) -> dict:
    """The widget's fields, checked against its kind's rules (see the module's docstring)."""
    if kind not in Widget.Kind.values:
        raise ServiceError(
            f"Unknown widget kind; choose one of {', '.join(Widget.Kind.values)}.", field="kind"
        )
    metric, group_by, then_by = ((v or "").strip() for v in (metric, group_by, then_by))
    clean = clean_widget_filters(filters, workspace=workspace)
    for name, value in (("group_by", group_by), ("then_by", then_by)):
        if value and value not in engine.GROUPS:
            raise ServiceError(f"Unknown group; choose one of {', '.join(engine.GROUPS)}.", field=name)
    engine_groups: tuple[str | None, str | None] = (None, None)
    if kind == Widget.Kind.METRIC_CARD:
        _need_metric(metric)
        _no_groups(kind, group_by, then_by)
    elif kind == Widget.Kind.TREND:
        _need_metric(metric)
        if group_by and group_by not in TIME_GROUPS:
            raise ServiceError(
                "A trend goes over time: group by day, week, month or quarter (or leave it to the "
                "dashboard's period).",
                field="group_by",
            )
        if then_by:
            raise ServiceError("A trend has one group, time; use a heatmap for two.", field="then_by")
        engine_groups = (group_by or "month", None)
    elif kind == Widget.Kind.BAR:
        _need_metric(metric)
        if not group_by or group_by in TIME_GROUPS:
            raise ServiceError(
                "Bars need a group that is not time (channel, region, theme…); use a trend for time.",
                field="group_by",
            )
        if then_by:
            raise ServiceError("Bars have one group; use a heatmap for two.", field="then_by")
        engine_groups = (group_by, None)
    elif kind == Widget.Kind.HEATMAP:
        _need_metric(metric)
        if not group_by or not then_by:
            raise ServiceError("A heatmap needs two groups: its rows and its columns.", field="then_by")
        if group_by == then_by:
            raise ServiceError("Choose two different groups for a heatmap.", field="then_by")
        engine_groups = (group_by, then_by)
    elif kind == Widget.Kind.DRIVER_MATRIX:
        metric = _need_metric(metric or "nps", drivers.OUTCOMES)
        _no_groups(kind, group_by, then_by)
    elif kind == Widget.Kind.VERBATIMS:
        if metric:
            raise ServiceError(
                "A verbatim list shows texts, not a metric: leave the metric out.", field="metric"
            )
        _no_groups(kind, group_by, then_by)
        if {"country", "plan"} & set(clean):
            raise ServiceError(
                "A verbatim list filters as the Inbox does: by channel, source, touchpoint, segment, "
                "region, sentiment or theme (not country or plan).",
                field="filters",
            )
    else:  # themes
        metric = _need_metric(metric or "volume", THEME_LIST_METRICS)
        if group_by not in ("", "theme") or then_by:
            raise ServiceError("A theme list is grouped by theme only.", field="group_by")
        if "theme" in clean:
            raise ServiceError("A theme list lists themes: leave out the theme filter.", field="theme")
        group_by = "theme"
        engine_groups = ("theme", None)
    if metric and kind != Widget.Kind.DRIVER_MATRIX:
        engine.check_choices(
            metric=metric,
            group_by=engine_groups[0],
            then_by=engine_groups[1],
            filters=widget_metric_filter(clean),
        )
        if metric == "response_rate" and {"source", "touchpoint", "sentiment", "theme"} & set(clean):
            raise ServiceError(
                "The response rate counts invitations: filter it by channel or the customer's segment, "
                "region, country or plan.",
                field="filters",
            )
        if kind == Widget.Kind.METRIC_CARD and metric == "theme_share" and "theme" not in clean:
            raise ServiceError("A theme share card needs a theme filter.", field="theme")
    title = " ".join((title or "").split()) or _default_title(kind, metric, group_by, then_by, clean)
    if len(title) > MAX_NAME:
        raise ServiceError(f"The title is longer than {MAX_NAME} characters.", field="title")
    size = size or DEFAULT_SIZE.get(kind, Widget.Size.HALF)
    if size not in Widget.Size.values:
        raise ServiceError("Size: half or full.", field="size")
    return {
        "kind": kind,
        "title": title,
        "metric": metric,
        "group_by": group_by,
        "then_by": then_by,
        "filters": clean,
        "size": size,
    }


def _append(dashboard: Dashboard, fields: dict) -> Widget:
    widgets = Widget.objects.filter(dashboard=dashboard)
    if widgets.count() >= MAX_WIDGETS:
        raise ServiceError(f"A dashboard has at most {MAX_WIDGETS} widgets.", field="kind")
    last = widgets.aggregate(last=Max("position"))["last"]
    return Widget.objects.create(dashboard=dashboard, position=0 if last is None else last + 1, **fields)


def _touch(dashboard: Dashboard) -> None:
    dashboard.updated_at = timezone.now()
    dashboard.save(update_fields=["updated_at"])


def widget_add(*, member, dashboard: Dashboard, **fields) -> Widget:
    """Add a widget at the end of the dashboard (see clean_widget for the fields)."""
    _may_edit(dashboard, member)
    clean = clean_widget(workspace=member.workspace, **fields)
    with transaction.atomic():
        widget = _append(dashboard, clean)
        _touch(dashboard)
    return widget


def _widget(dashboard: Dashboard, widget_id: int) -> Widget:
    found = Widget.objects.filter(dashboard=dashboard, pk=widget_id).first()
    if found is None:
        raise NotFound("No such widget on this dashboard.")
    return found


def widget_remove(*, member, dashboard: Dashboard, widget_id: int) -> None:
    _may_edit(dashboard, member)
    with transaction.atomic():
        _widget(dashboard, widget_id).delete()
        _touch(dashboard)


def widget_move(*, member, dashboard: Dashboard, widget_id: int, direction: str) -> None:
    """Swap the widget with the one before ("up") or after ("down"); at an end nothing moves."""
    _may_edit(dashboard, member)
    if direction not in ("up", "down"):
        raise ServiceError("Move a widget up or down.", field="direction")
    with transaction.atomic():
        widgets = list(Widget.objects.select_for_update().filter(dashboard=dashboard))
        index = next((i for i, w in enumerate(widgets) if w.pk == widget_id), None)
        if index is None:
            raise NotFound("No such widget on this dashboard.")
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(widgets):
            widgets[index], widgets[other] = widgets[other], widgets[index]
        for position, widget in enumerate(widgets):
            widget.position = position
        Widget.objects.bulk_update(widgets, ["position"])
        _touch(dashboard)


# -- role templates ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoleTemplate:
    key: str
    name: str
    description: str
    widgets: tuple[dict, ...]


def _w(kind: str, title: str, metric: str = "", group_by: str = "", then_by: str = "", size: str = "", **f):
    return {"kind": kind, "title": title, "metric": metric, "group_by": group_by, "then_by": then_by,
            "size": size, "filters": f}  # fmt: skip


ROLE_TEMPLATES: dict[str, RoleTemplate] = {
    t.key: t
    for t in (
        RoleTemplate(
            "executive",
            "Executive",
            "NPS and CSAT with their change, the NPS trend, NPS by region month by month, the themes rising "
            "and falling, and what drives NPS.",
            (
                _w("metric_card", "NPS", "nps"),
                _w("metric_card", "CSAT", "csat"),
                _w("trend", "NPS trend", "nps", size="full"),
                _w("heatmap", "NPS by region and month", "nps", "region", "month"),
                _w("themes", "Themes rising and falling", "theme_share"),
                _w("driver_matrix", "What drives NPS", "nps"),
            ),
        ),
        RoleTemplate(
            "team_lead",
            "Team lead",
            "CSAT and CES trends, sentiment by touchpoint, CSAT by channel and the latest negative "
            "verbatims.",
            (
                _w("trend", "CSAT trend", "csat"),
                _w("trend", "CES trend", "ces"),
                _w("bar", "Sentiment by touchpoint", "sentiment", "touchpoint"),
                _w("bar", "CSAT by channel", "csat", "channel"),
                _w("verbatims", "Latest negative verbatims", size="full", sentiment="negative"),
            ),
        ),
        RoleTemplate(
            "agent",
            "Agent",
            "CSAT of support tickets and chats week by week, the latest negative verbatims and the top "
            "themes of tickets.",
            (
                _w("trend", "CSAT of tickets by week", "csat", "week", channel="ticket"),
                _w("trend", "CSAT of chats by week", "csat", "week", channel="chat"),
                _w("verbatims", "Latest negative verbatims", sentiment="negative"),
                _w("themes", "Top themes of tickets", "volume", channel="ticket"),
            ),
        ),
    )
}


def _free_name(workspace, name: str) -> str:
    taken = set(
        Dashboard.objects.filter(workspace=workspace, name__startswith=name).values_list("name", flat=True)
    )
    if name not in taken:
        return name
    return next(f"{name} ({i})" for i in range(2, len(taken) + 3) if f"{name} ({i})" not in taken)


def dashboard_from_template(*, member, template: str, shared: bool = False) -> Dashboard:
    """A new dashboard with the role template's widgets, named after the role ("Executive (2)" when the
    name is taken); an ordinary dashboard from then on."""
    _may_create(member)
    role = ROLE_TEMPLATES.get(template)
    if role is None:
        raise ServiceError(f"Unknown template; choose one of {', '.join(ROLE_TEMPLATES)}.", field="template")
    with transaction.atomic():
        board = dashboard_create(
            member=member,
            name=_free_name(member.workspace, role.name),
            description=role.description,
            shared=shared,
        )
        for position, spec in enumerate(role.widgets):
            Widget.objects.create(
                dashboard=board, position=position, **clean_widget(workspace=member.workspace, **spec)
            )
    return board


# -- the Explorer's "Save as widget" -------------------------------------------------------------------------
def explorer_widget_kind(group_by: str, then_by: str) -> tuple[str, str, str]:
    """(kind, group_by, then_by) for an explorer selection: no group a card, time a trend, another group
    bars, two groups a heatmap with time (if any) as its columns."""
    if not group_by:
        return Widget.Kind.METRIC_CARD, "", ""
    if not then_by:
        return (Widget.Kind.TREND if group_by in TIME_GROUPS else Widget.Kind.BAR), group_by, ""
    if group_by in TIME_GROUPS and then_by not in TIME_GROUPS:
        group_by, then_by = then_by, group_by
    return Widget.Kind.HEATMAP, group_by, then_by


def widget_from_explorer(
    *,
    member,
    dashboard_id: int | None,
    new_name: str = "",
    title: str = "",
    metric: str,
    group_by: str = "",
    then_by: str = "",
    filters: dict | None = None,
) -> Widget:
    """Save the explorer's selection as a widget on one of the member's dashboards, or on a new private
    one named `new_name` (dashboard_id None). The explorer's period is not kept: the dashboard's applies."""
    _may_create(member)
    kind, group_by, then_by = explorer_widget_kind((group_by or "").strip(), (then_by or "").strip())
    fields = clean_widget(
        workspace=member.workspace,
        kind=kind,
        title=title,
        metric=metric,
        group_by=group_by,
        then_by=then_by,
        filters=filters,
    )
    with transaction.atomic():
        if dashboard_id is None:
            if not (new_name or "").strip():
                raise ServiceError("Choose a dashboard, or name a new one.", field="dashboard")
            board = dashboard_create(member=member, name=new_name)
        else:
            board = Dashboard.objects.filter(workspace=member.workspace, pk=dashboard_id).first()
            if board is None:
                raise NotFound("No such dashboard.")
            _may_edit(board, member)
        widget = _append(board, fields)
        _touch(board)
    return widget
