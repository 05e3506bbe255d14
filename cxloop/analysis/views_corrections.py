"""Analysts correct the themes found in a feedback item, in the Inbox drawer: accept or reject the model's
suggestions, add a theme, or relabel one as another. Each action re-renders the drawer's themes block in
place (htmx), or redirects back to the item without JavaScript. The decisions become the models' examples
and counter-examples (services.theme_specs)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cxloop.accounts.access import workspace_view
from cxloop.accounts.models import Workspace
from cxloop.accounts.roles import Perm
from cxloop.core.exceptions import NotFound, ServiceError
from cxloop.feedback import selectors as feedback_selectors

from . import services
from .models import Theme

BLOCK = "analysis/_item_themes.html"


def theme_choices(*, workspace: Workspace) -> list[tuple[Theme, list[Theme]]]:
    """The workspace's active themes for the drawer's selects: (top theme, its active sub-themes), by name.
    A sub-theme of a switched-off top theme is left out, as the models leave it out (one query)."""
    themes = list(Theme.objects.filter(workspace=workspace, is_active=True).order_by("name"))
    subs: dict[int, list[Theme]] = {}
    for t in themes:
        if t.parent_id is not None:
            subs.setdefault(t.parent_id, []).append(t)
    return [(t, subs.get(t.pk, [])) for t in themes if t.parent_id is None]


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _block(request, item_id: int, *, error: str = ""):
    """The item's themes block with the correction controls open: the htmx fragment, or the item's page."""
    item = feedback_selectors.feedback_get(workspace=request.workspace, item_id=item_id)
    if item is None:
        raise Http404("No such feedback item.")
    context = {
        "item": item,
        "corrections": True,
        "theme_choices": theme_choices(workspace=request.workspace),
        "themes_error": error,
    }
    return render(request, BLOCK if request.htmx else "feedback/detail.html", context)


def _after(request, item_id: int, action):
    """Run one correction and answer: with htmx the block again (an error shown in it, with status 200 since
    htmx swaps only successful answers); without, a message and a redirect back to the item."""
    try:
        done = action()
    except NotFound as exc:
        raise Http404(exc.message) from None
    except ServiceError as exc:
        if request.htmx:
            return _block(request, item_id, error=exc.message)
        messages.error(request, exc.message)
        return redirect("feedback_detail", item_id)
    if request.htmx:
        return _block(request, item_id)
    messages.success(request, done)
    return redirect("feedback_detail", item_id)


@require_GET
@workspace_view(Perm.ANALYSE)
def item_themes(request, item_id: int):
    return _block(request, item_id)


@require_POST
@workspace_view(Perm.ANALYSE)
def item_theme_decide(request, item_id: int, theme_id: int):
    decision = request.POST.get("decision", "")

    def action():
        mention = services.mention_decide(
            workspace=request.workspace,
            user=request.user,
            item_id=item_id,
            theme_id=theme_id,
            decision=decision,
        )
        return f"Theme “{mention.theme.path}” {'accepted' if decision == 'accept' else 'rejected'}."

    return _after(request, item_id, action)


@require_POST
@workspace_view(Perm.ANALYSE)
def item_theme_add(request, item_id: int):
    theme_id = _int(request.POST.get("theme"))

    def action():
        if theme_id is None:
            raise ServiceError("Choose a theme to add.", field="theme")
        mention = services.mention_add(
            workspace=request.workspace,
            user=request.user,
            item_id=item_id,
            theme_id=theme_id,
            evidence=request.POST.get("evidence", ""),
        )
        return f"Theme “{mention.theme.path}” added."

    return _after(request, item_id, action)


@require_POST
@workspace_view(Perm.ANALYSE)
def item_theme_relabel(request, item_id: int, theme_id: int):
    new_theme_id = _int(request.POST.get("theme"))

    def action():
        if new_theme_id is None:
            raise ServiceError("Choose the theme to relabel it as.", field="theme")
        mention = services.mention_relabel(
            workspace=request.workspace,
            user=request.user,
            item_id=item_id,
            theme_id=theme_id,
            new_theme_id=new_theme_id,
        )
        return f"Relabelled as “{mention.theme.path}”."

    return _after(request, item_id, action)
