"""Reads of notifications: always the user's own, in the workspace they are working in."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Notification

PAGE_SIZE = 100


def notifications_for(*, workspace, user, limit: int = PAGE_SIZE) -> list[Notification]:
    return list(Notification.objects.filter(workspace=workspace, user=user)[:limit])


def unread_count(*, workspace, user) -> int:
    return Notification.objects.filter(workspace=workspace, user=user, read_at__isnull=True).count()


def unread_count_subquery() -> Coalesce:
    """The unread count of a Membership row's user in its workspace, as an annotation: the request's
    membership lookup (accounts.selectors.membership_for) carries the top bar's badge at no extra query."""
    unread = (
        Notification.objects.filter(
            workspace_id=OuterRef("workspace_id"), user_id=OuterRef("user_id"), read_at__isnull=True
        )
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), Value(0))
