"""Writes of notifications: `notify` (one row per recipient who is a member of the workspace) and
`mark_read` (one of the user's own, or all of them)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from cxloop.accounts.models import Membership
from cxloop.core.exceptions import NotFound, ServiceError

from .models import Notification

MAX_TITLE = 200
MAX_BODY = 4000


def _clean_url(url: str) -> str:
    """Only paths inside the product: a notification never links to another site."""
    url = (url or "").strip()
    if not url:
        return ""
    if not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > 500:
        raise ServiceError("A notification links to a path inside CX Loop, like /dashboards/.", field="url")
    return url


def notify(
    *, workspace, user_ids: Iterable[int], kind: str, title: str, body: str = "", url: str = ""
) -> list[Notification]:
    """One notification for each of `user_ids` who is a member of the workspace (others are skipped: a
    member removed since a rule was written gets nothing). Two queries whatever the number of people."""
    if kind not in Notification.Kind.values:
        raise ServiceError(f"Unknown notification kind {kind[:40]!r}.", field="kind")
    title = (title or "").strip()
    if not title:
        raise ServiceError("A notification needs a title.", field="title")
    title = title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"
    body = (body or "")[:MAX_BODY]
    url = _clean_url(url)
    wanted = {int(u) for u in user_ids}
    if not wanted:
        return []
    members = sorted(
        Membership.objects.filter(workspace=workspace, user_id__in=wanted).values_list("user_id", flat=True)
    )
    now = timezone.now()
    return Notification.objects.bulk_create(
        Notification(
            workspace=workspace, user_id=uid, kind=kind, title=title, body=body, url=url, created_at=now
        )
        for uid in members
    )


def mark_read(*, workspace, user, notification_id: int | None = None) -> int:
    """Mark one of the user's own notifications in the workspace read (NotFound for anyone else's), or
    all of them when no id is given. Returns how many changed."""
    qs = Notification.objects.filter(workspace=workspace, user=user)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
        if not qs.exists():
            raise NotFound("No such notification.")
    return qs.filter(read_at__isnull=True).update(read_at=timezone.now())
