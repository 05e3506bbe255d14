"""Reads of survey outreach. Everything about a workspace's data takes the workspace."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils import timezone

from cxloop.accounts.models import Workspace
from cxloop.surveys.models import Response, Survey

from .models import Campaign, Invitation, token_hash

STATUSES = {
    "queued": "Waiting to be sent",
    "sent": "Sent",
    "reminded": "Reminded",
    "opened": "Opened",
    "answered": "Answered",
    "bounced": "Bounced",
    "failed": "Failed",
    "expired": "Expired",
}
ANSWERED = Q(response__status=Response.Status.COMPLETED)


def status_expression(now: datetime) -> Case:
    """An invitation's status as SQL, first match wins: answered, bounced, queued / failed (never sent),
    expired, opened, reminded, sent."""
    return Case(
        When(ANSWERED, then=Value("answered")),
        When(bounced_at__isnull=False, then=Value("bounced")),
        When(sent_at__isnull=True, error="", then=Value("queued")),
        When(sent_at__isnull=True, then=Value("failed")),
        When(expires_at__lte=now, then=Value("expired")),
        When(opened_at__isnull=False, then=Value("opened")),
        When(reminder_sent_at__isnull=False, then=Value("reminded")),
        default=Value("sent"),
        output_field=CharField(),
    )


def campaigns_for_survey(*, workspace: Workspace, survey: Survey) -> list[Campaign]:
    return list(
        Campaign.objects.filter(workspace=workspace, survey=survey)
        .annotate(
            answered=Count("invitations", filter=Q(invitations__response__status=Response.Status.COMPLETED))
        )
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def campaign_get(*, workspace: Workspace, survey: Survey, campaign_id: int) -> Campaign | None:
    return (
        Campaign.objects.filter(workspace=workspace, survey=survey, pk=campaign_id)
        .select_related("survey", "created_by")
        .first()
    )


def campaign_stats(*, campaign: Campaign) -> dict[str, int | float | None]:
    """Counts of a campaign's invitations (one query) and its response rate (answered / sent)."""
    now = timezone.now()
    counts = Invitation.objects.filter(campaign=campaign).aggregate(
        invited=Count("pk"),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        answered=Count("pk", filter=ANSWERED),
        reminded=Count("pk", filter=Q(reminder_sent_at__isnull=False)),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        failed=Count("pk", filter=Q(sent_at__isnull=True, bounced_at__isnull=True) & ~Q(error="")),
        queued=Count("pk", filter=Q(sent_at__isnull=True, bounced_at__isnull=True, error="")),
        expired=Count("pk", filter=Q(sent_at__isnull=False, expires_at__lte=now) & ~ANSWERED),
    )
    counts["response_rate"] = round(100 * counts["answered"] / counts["sent"], 1) if counts["sent"] else None
    return counts


def campaign_invitations(*, campaign: Campaign, status: str | None = None, limit: int = 500) -> QuerySet:
    qs = (
        Invitation.objects.filter(campaign=campaign)
        .annotate(state=status_expression(timezone.now()))
        .select_related("customer", "response")
        .order_by("pk")
    )
    if status in STATUSES:
        qs = qs.filter(state=status)
    return qs[:limit]


def invitation_by_token(*, survey: Survey, token: str) -> Invitation | None:
    """The invitation whose link carries `token`, if it is one of this survey's."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.filter(survey=survey, token_hash=token_hash(token))
        .select_related("response", "customer")
        .first()
    )
