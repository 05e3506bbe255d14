"""Analytics › Emerging themes: groups of the week's texts that fit no theme, proposed to analysts, who adopt
them into the taxonomy or dismiss them (emerging.py does the work)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm, has_perm
from cxloop.core.exceptions import NotFound, ServiceError

from . import emerging

VERBATIM_CHARS = 400


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _trend(proposal) -> None:
    """previous → now as the page says it: an arrow and the change in percent ("new" from nothing)."""
    before, now = proposal.previous_size, proposal.size
    proposal.change = None if not before else abs(round(100 * (now - before) / before))
    proposal.direction = "up" if now > before else "down" if now < before else "flat"


def _short(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= VERBATIM_CHARS else text[:VERBATIM_CHARS].rstrip() + "…"


def _page(request, *, error: ServiceError | None = None, failed_id: int | None = None, status: int = 200):
    workspace = request.workspace
    can_edit = has_perm(request.membership.role, Perm.ANALYSE)
    found = emerging.with_verbatims(workspace=workspace, found=emerging.proposals(workspace=workspace))
    for p in found:
        _trend(p)
        p.quotes = [(item, _short(item.title), _short(item.text)) for item in p.verbatims]
    return render(
        request,
        "analysis/emerging.html",
        {
            "proposals": found,
            "decided": emerging.decided(workspace=workspace),
            "run": emerging.last_run(workspace=workspace),
            "pending": emerging.pending_run(workspace=workspace),
            "window_days": emerging.WINDOW_DAYS,
            "min_size": emerging.MIN_SIZE,
            "tops": emerging.top_themes(workspace=workspace) if can_edit and found else [],
            "can_edit": can_edit,
            "error": error,
            "failed_id": failed_id,
            "error_inline": any(p.pk == failed_id for p in found) and can_edit,  # shown by its form
            "form": request.POST if error else None,
        },
        status=status,
    )


@workspace_view(Perm.VIEW_DATA)
def emerging_themes(request):
    return _page(request)


@require_POST
@workspace_view(Perm.ANALYSE)
def emerging_look(request):
    already = emerging.pending_run(workspace=request.workspace)
    emerging.emerging_request(workspace=request.workspace)
    if already:
        messages.info(request, "A look for emerging themes is already waiting for the worker.")
    else:
        messages.success(
            request, "Looking for emerging themes: the worker does it in the background; reload in a minute."
        )
    return redirect("emerging_themes")


@require_POST
@workspace_view(Perm.ANALYSE)
def emerging_adopt(request, emerging_id: int):
    try:
        theme = emerging.emerging_adopt(
            workspace=request.workspace,
            user=request.user,
            emerging_id=emerging_id,
            name=request.POST.get("name", ""),
            parent_id=_int(request.POST.get("parent")),
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except ServiceError as exc:
        return _page(
            request, error=exc, failed_id=emerging_id, status=422 if exc.status == 400 else exc.status
        )
    messages.success(
        request, f"Theme “{theme.path}” added; its texts are being read again so that they get it."
    )
    return redirect("emerging_themes")


@require_POST
@workspace_view(Perm.ANALYSE)
def emerging_dismiss(request, emerging_id: int):
    try:
        proposal = emerging.emerging_dismiss(
            workspace=request.workspace, user=request.user, emerging_id=emerging_id
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except ServiceError as exc:
        return _page(request, error=exc, failed_id=emerging_id, status=exc.status)
    messages.success(request, f"“{proposal.label}” dismissed: a group like it will not be proposed again.")
    return redirect("emerging_themes")
