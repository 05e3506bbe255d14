"""Dashboards › Your dashboards (/dashboards/boards/): the list, a dashboard with its widgets, its editing,
the role templates and the Explorer's "Save as widget". Views parse the form, call one service or
selector, and render; cxloop/boards/widgets.py computes and shapes each widget."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm, has_perm
from cxloop.core.exceptions import NotFound, PermissionDenied, ServiceError
from cxloop.feedback.models import Channel
from cxloop.metrics import engine
from cxloop.metrics import selectors as metric_selectors
from cxloop.metrics import views as overview
from cxloop.metrics import views_explorer as explorer

from . import selectors, services, widgets
from .models import Widget

EXPLORER_FIELDS = ("metric", "group_by", "then_by", "channel", "source", "touchpoint", "segment", "region",
                   "theme", "sentiment")  # fmt: skip


def _board(request, dashboard_id: int, *, edit: bool = False):
    """The dashboard (404 when the member may not see it); with edit, 403 when they may not change it."""
    try:
        board = selectors.dashboard_get(member=request.membership, dashboard_id=dashboard_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if edit and not selectors.can_edit(board, request.membership):
        raise Forbidden("Only its creator, an admin or the owner may change this dashboard.")
    return board


def _raise_http(exc: ServiceError) -> None:
    if isinstance(exc, NotFound):
        raise Http404(exc.message) from None
    if isinstance(exc, PermissionDenied):
        raise Forbidden(exc.message) from None


def _menus(workspace) -> dict:
    return {
        "periods": overview.PERIODS,
        "channels": Channel.choices,
        "segments": metric_selectors.customer_values(workspace=workspace, field="segment"),
        "regions": metric_selectors.customer_values(workspace=workspace, field="region"),
        "touchpoints": metric_selectors.touchpoints(workspace=workspace),
    }


# -- the list ------------------------------------------------------------------------------------------------
def _list_context(request, **extra) -> dict:
    member = request.membership
    return {
        "here": "boards",
        "boards": selectors.dashboards_for(member=member),
        "can_create": has_perm(member.role, Perm.ANALYSE),
        "templates": services.ROLE_TEMPLATES.values(),
        "form": {},
        "error": None,
        **extra,
    }


@require_GET
@workspace_view(Perm.VIEW_DATA)
def board_list(request):
    return render(request, "boards/list.html", _list_context(request))


@require_POST
@workspace_view(Perm.ANALYSE)
def board_new(request):
    form = request.POST
    try:
        board = services.dashboard_create(
            member=request.membership,
            name=form.get("name", ""),
            description=form.get("description", ""),
            shared=form.get("shared") == "on",
        )
    except ServiceError as exc:
        _raise_http(exc)
        context = _list_context(request, form=form, error=exc)
        return render(request, "boards/list.html", context, status=exc.status)
    messages.success(request, f"Dashboard “{board.name}” created: add its widgets.")
    return redirect("board_edit", dashboard_id=board.pk)


@require_POST
@workspace_view(Perm.ANALYSE)
def board_from_template(request):
    try:
        board = services.dashboard_from_template(
            member=request.membership,
            template=request.POST.get("template", ""),
            shared=request.POST.get("shared") == "on",
        )
    except ServiceError as exc:
        _raise_http(exc)
        context = _list_context(request, template_error=exc)
        return render(request, "boards/list.html", context, status=exc.status)
    messages.success(request, f"Dashboard “{board.name}” created from its template; change it as you like.")
    return redirect("board_detail", dashboard_id=board.pk)


# -- a dashboard ---------------------------------------------------------------------------------------------
@require_GET
@workspace_view(Perm.VIEW_DATA)
def board_detail(request, dashboard_id: int):
    workspace = request.workspace
    board = _board(request, dashboard_id)
    asked = any(k in request.GET for k in services.BOARD_FILTER_KEYS)
    params = request.GET if asked else board.filters
    values = {k: params.get(k, "") for k in services.BOARD_FILTER_KEYS}
    period = values["period"] or ("custom" if values["since"] or values["until"] else overview.DEFAULT_PERIOD)
    context: dict = {
        "here": "boards",
        "board": board,
        "can_edit": selectors.can_edit(board, request.membership),
        "f": values,
        "current_period": period,
        "defaults_used": not asked,
        "min_n": engine.MIN_N,
        "rendered": [],
    }
    board_widgets = selectors.widgets_of(dashboard=board)
    context["widget_count"] = len(board_widgets)
    if metric_selectors.first_feedback_at(workspace=workspace) is None:
        return render(request, "boards/detail.html", {**context, "no_data": True})
    today = timezone.now().astimezone(workspace.zone).date()
    selection, errors = overview.parse_selection(params, workspace=workspace, today=today)
    context.update(_menus(workspace), errors=errors, selection=selection)
    if selection is not None:
        context["rendered"] = widgets.render_all(board_widgets, selection, workspace=workspace)
        context["all_feedback_url"] = selection.inbox()
    return render(request, "boards/detail.html", context)


# -- editing -------------------------------------------------------------------------------------------------
def _edit_context(request, board, **extra) -> dict:
    workspace = request.workspace
    return {
        "here": "boards",
        "board": board,
        "widgets": selectors.widgets_of(dashboard=board),
        "kinds": Widget.Kind.choices,
        "sizes": Widget.Size.choices,
        "metrics": explorer.metric_choices(),
        "groups": explorer.group_choices(),
        "sentiments": engine.SENTIMENTS,
        "themes": [(str(t.pk), label) for t, label in explorer.theme_choices(workspace=workspace)],
        "filter_keys": services.WIDGET_FILTER_KEYS,
        "settings": None,
        "settings_error": None,
        "widget_form": {},
        "widget_error": None,
        **_menus(workspace),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@workspace_view(Perm.ANALYSE)
def board_edit(request, dashboard_id: int):
    board = _board(request, dashboard_id, edit=True)
    if request.method == "POST":
        form = request.POST
        try:
            services.dashboard_update(
                member=request.membership,
                dashboard=board,
                name=form.get("name", ""),
                description=form.get("description", ""),
                shared=form.get("shared") == "on",
                filters={k: form.get(k, "") for k in services.BOARD_FILTER_KEYS},
            )
        except ServiceError as exc:
            _raise_http(exc)
            board.refresh_from_db()
            context = _edit_context(request, board, settings=form, settings_error=exc)
            return render(request, "boards/edit.html", context, status=exc.status)
        messages.success(request, "Dashboard saved.")
        return redirect("board_edit", dashboard_id=board.pk)
    return render(request, "boards/edit.html", _edit_context(request, board))


@require_POST
@workspace_view(Perm.ANALYSE)
def board_widget_add(request, dashboard_id: int):
    board = _board(request, dashboard_id, edit=True)
    form = request.POST
    try:
        widget = services.widget_add(
            member=request.membership,
            dashboard=board,
            kind=form.get("kind", ""),
            title=form.get("title", ""),
            metric=form.get("metric", ""),
            group_by=form.get("group_by", ""),
            then_by=form.get("then_by", ""),
            size=form.get("size", ""),
            filters={k: form.get(f"filter_{k}", "") for k in services.WIDGET_FILTER_KEYS},
        )
    except ServiceError as exc:
        _raise_http(exc)
        context = _edit_context(request, board, widget_form=form, widget_error=exc)
        return render(request, "boards/edit.html", context, status=exc.status)
    messages.success(request, f"Widget “{widget.title}” added.")
    return redirect(reverse("board_edit", args=[board.pk]) + "#widgets")


@require_POST
@workspace_view(Perm.ANALYSE)
def board_widget_remove(request, dashboard_id: int, widget_id: int):
    board = _board(request, dashboard_id, edit=True)
    try:
        services.widget_remove(member=request.membership, dashboard=board, widget_id=widget_id)
    except ServiceError as exc:
        _raise_http(exc)
        messages.error(request, exc.message)
    else:
        messages.success(request, "Widget removed.")
    return redirect(reverse("board_edit", args=[board.pk]) + "#widgets")


@require_POST
@workspace_view(Perm.ANALYSE)
def board_widget_move(request, dashboard_id: int, widget_id: int):
    board = _board(request, dashboard_id, edit=True)
    try:
        services.widget_move(
            member=request.membership,
            dashboard=board,
            widget_id=widget_id,
            direction=request.POST.get("direction", ""),
        )
    except ServiceError as exc:
        _raise_http(exc)
        messages.error(request, exc.message)
    return redirect(reverse("board_edit", args=[board.pk]) + "#widgets")


@require_http_methods(["GET", "POST"])
@workspace_view(Perm.ANALYSE)
def board_delete(request, dashboard_id: int):
    """GET: the question; POST: the deletion."""
    board = _board(request, dashboard_id, edit=True)
    if request.method == "POST":
        services.dashboard_delete(member=request.membership, dashboard=board)
        messages.success(request, f"Dashboard “{board.name}” deleted.")
        return redirect("boards")
    return render(
        request,
        "boards/delete.html",
        {"here": "boards", "board": board, "widget_count": len(selectors.widgets_of(dashboard=board))},
    )


# -- the Explorer's "Save as widget" -------------------------------------------------------------------------
@require_POST
@workspace_view(Perm.ANALYSE)
def board_save_widget(request):
    form = request.POST
    chosen = form.get("dashboard", "")
    dashboard_id = None
    if chosen != "new":
        dashboard_id = int(chosen) if chosen.isdigit() else -1
    try:
        widget = services.widget_from_explorer(
            member=request.membership,
            dashboard_id=dashboard_id,
            new_name=form.get("new_name", ""),
            title=form.get("title", ""),
            metric=form.get("metric", ""),
            group_by=form.get("group_by", ""),
            then_by=form.get("then_by", ""),
            filters={k: form.get(k, "") for k in services.WIDGET_FILTER_KEYS if k not in ("country", "plan")},
        )
    except ServiceError as exc:
        _raise_http(exc)
        messages.error(request, f"The widget was not saved: {exc.message}")
        back = {k: form.get(k, "") for k in EXPLORER_FIELDS if form.get(k)}
        return redirect(reverse("explorer") + ("?" + urlencode(back) if back else ""))
    messages.success(request, f"Widget “{widget.title}” saved on “{widget.dashboard.name}”.")
    return redirect("board_detail", dashboard_id=widget.dashboard_id)
