"""Reads of the surveys app. Every read takes the workspace: surveys of other workspaces do not exist here."""

from __future__ import annotations

from django.db.models import Count, Q

from cxloop.accounts.models import Workspace

from .models import Response, Survey


def survey_list(*, workspace: Workspace) -> list[Survey]:
    """The workspace's surveys, most recently changed first, with their response counts (previews aside)."""
    stored = ~Q(responses__via=Response.Via.PREVIEW)
    return list(
        Survey.objects.filter(workspace=workspace)
        .select_related("current_version")
        .annotate(
            completed=Count("responses", filter=stored & Q(responses__status=Response.Status.COMPLETED)),
            partial=Count("responses", filter=stored & Q(responses__status=Response.Status.PARTIAL)),
        )
        .order_by("-updated_at", "-id")
    )


def survey_get(*, workspace: Workspace, survey_id: int) -> Survey | None:
    return Survey.objects.filter(workspace=workspace, pk=survey_id).select_related("current_version").first()


def survey_versions(*, survey: Survey):
    return list(
        survey.versions.annotate(
            responses_count=Count("responses", filter=~Q(responses__via=Response.Via.PREVIEW))
        ).order_by("-number")
    )
