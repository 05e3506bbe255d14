"""Reads of the analysis app; every one takes the workspace."""

from __future__ import annotations

from django.db.models import Count, Q

from cxloop.accounts.models import Workspace

from .models import Theme, ThemeMention


def taxonomy(*, workspace: Workspace) -> list[Theme]:
    """Top themes with their sub-themes (as `subs`), each with the number of items it is found in (rejected
    suggestions aside) and its number of analyst-confirmed examples."""
    counted = Theme.objects.filter(workspace=workspace).annotate(
        items=Count("mentions", filter=~Q(mentions__status=ThemeMention.Status.REJECTED)),
        confirmed=Count("mentions", filter=Q(mentions__status=ThemeMention.Status.ACCEPTED)),
    )
    themes = list(counted.order_by("name"))
    tops = [t for t in themes if t.parent_id is None]
    by_parent: dict[int, list[Theme]] = {}
    for t in themes:
        if t.parent_id is not None:
            by_parent.setdefault(t.parent_id, []).append(t)
    for top in tops:
        top.subs = by_parent.get(top.pk, [])
    return tops


def theme_get(*, workspace: Workspace, theme_id: int) -> Theme | None:
    return Theme.objects.filter(workspace=workspace, pk=theme_id).select_related("parent").first()
