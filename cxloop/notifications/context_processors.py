"""The unread count of the top bar's notification badge, for a signed-in member of a workspace. It comes
with the request's membership (accounts.selectors.membership_for annotates it: no query of its own); a
membership loaded some other way falls back to one COUNT query, made only if a page prints the badge."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def unread_notifications(request):
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    if membership is None or user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    known = getattr(membership, "unread_notifications", None)
    if known is not None:
        return {"unread_notifications": known}
    workspace = membership.workspace
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(workspace=workspace, user=user))}
