"""Analytics › Themes: the workspace's taxonomy, started from an industry template and edited here."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm, has_perm
from cxloop.core.exceptions import NotFound, ServiceError

from . import selectors, services
from .taxonomies import TEMPLATES


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@workspace_view(Perm.VIEW_DATA)
def themes(request):
    tops = selectors.taxonomy(workspace=request.workspace)
    return render(
        request,
        "analysis/themes.html",
        {
            "tops": tops,
            "templates": [(k, label) for k, (label, _) in TEMPLATES.items()],
            "can_edit": has_perm(request.membership.role, Perm.ANALYSE),
        },
    )


@require_POST
@workspace_view(Perm.ANALYSE)
def taxonomy_template(request):
    try:
        added = services.taxonomy_from_template(
            workspace=request.workspace, template=request.POST.get("template", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{added} themes added.")
    return redirect("analytics")


@workspace_view(Perm.ANALYSE)
def theme_edit(request, theme_id: int | None = None):
    theme = None
    if theme_id is not None:
        theme = selectors.theme_get(workspace=request.workspace, theme_id=theme_id)
        if theme is None:
            raise Http404("No such theme.")
    error = None
    if request.method == "POST":
        try:
            saved = services.theme_save(
                workspace=request.workspace,
                theme_id=theme_id,
                name=request.POST.get("name", ""),
                description=request.POST.get("description", ""),
                examples=request.POST.get("examples", ""),
                parent_id=_int(request.POST.get("parent")),
            )
        except NotFound as exc:
            raise Http404(exc.message) from None
        except ServiceError as exc:
            error = exc
        else:
            messages.success(request, f"Theme “{saved.name}” saved.")
            return redirect("analytics")
    form = request.POST if request.method == "POST" else None
    return render(
        request,
        "analysis/theme_form.html",
        {
            "theme": theme,
            "form": form,
            "error": error,
            "name": form.get("name") if form else (theme.name if theme else ""),
            "description": form.get("description") if form else (theme.description if theme else ""),
            "examples": form.get("examples") if form else "\n".join(theme.examples if theme else []),
            "parent_id": _int(form.get("parent")) if form else (theme.parent_id if theme else None),
            "tops": [
                t for t in selectors.taxonomy(workspace=request.workspace) if not theme or t.pk != theme.pk
            ],
        },
        status=422 if error else 200,
    )


@require_POST
@workspace_view(Perm.ANALYSE)
def theme_delete(request, theme_id: int):
    try:
        services.theme_delete(workspace=request.workspace, theme_id=theme_id)
    except ServiceError as exc:
        raise Http404(exc.message) from None
    messages.success(request, "Theme deleted.")
    return redirect("analytics")
