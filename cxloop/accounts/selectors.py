"""Reads of the accounts domain. Anything about a workspace takes the workspace as an argument."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import ApiKey, AuditEvent, Invitation, Membership, User, Workspace


def memberships_for_user(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")


def membership_for(*, user: User, workspace_id: int | None) -> Membership | None:
    """The user's membership in a workspace, or their first one when no (valid) workspace is chosen, with
    `unread_notifications` (the top bar's badge) counted in the same query."""
    from cxloop.notifications.selectors import unread_count_subquery

    qs = memberships_for_user(user).annotate(unread_notifications=unread_count_subquery())
    if workspace_id is not None:
        found = qs.filter(workspace_id=workspace_id).first()
        if found is not None:
            return found
    return qs.first()


def members_list(*, workspace: Workspace) -> QuerySet[Membership]:
    return Membership.objects.filter(workspace=workspace).select_related("user").order_by("user__email")


def invitations_pending(*, workspace: Workspace) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(workspace=workspace, accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created_at")
    )


def api_keys_list(*, workspace: Workspace) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(workspace=workspace).select_related("created_by").order_by("-created_at")


def audit_events(*, workspace: Workspace, limit: int = 200, action: str | None = None) -> list[AuditEvent]:
    """Events of the workspace, plus sign-in events of its members (those belong to no single workspace)."""
    member_ids = Membership.objects.filter(workspace=workspace).values("user_id")
    qs = AuditEvent.objects.filter(
        Q(workspace=workspace) | Q(workspace__isnull=True, subject_user_id__in=member_ids)
    ).select_related("actor", "actor_key", "subject_user")
    if action:
        qs = qs.filter(action=action)
    return list(qs.order_by("-created_at", "-id")[:limit])


def user_exists(*, email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()
