"""/notifications/: the signed-in member's own notifications in the current workspace, newest first."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm
from cxloop.core.exceptions import NotFound

from . import selectors, services


@workspace_view(Perm.VIEW_DATA)
def notification_list(request):
    found = selectors.notifications_for(workspace=request.workspace, user=request.user)
    return render(
        request,
        "notifications/list.html",
        {
            "notifications": found,
            "any_unread": any(n.read_at is None for n in found),
            "page_size": selectors.PAGE_SIZE,
        },
    )


@require_POST
@workspace_view(Perm.VIEW_DATA)
def notification_read(request):
    """Mark all read, or one (`id`)."""
    raw = request.POST.get("id", "").strip()
    if raw and not raw.isdigit():
        raise Http404("No such notification.")
    try:
        changed = services.mark_read(
            workspace=request.workspace, user=request.user, notification_id=int(raw) if raw else None
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    if not raw:
        messages.success(request, f"{changed} notification{'s' if changed != 1 else ''} marked read.")
    return redirect("notifications")
