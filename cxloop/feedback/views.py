"""Inbox: all feedback across channels, newest first, with filters, pages and a detail drawer."""

from __future__ import annotations

from datetime import date, datetime, time

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm
from cxloop.core.exceptions import ServiceError

from . import selectors
from .models import Channel

PAGE_SIZE = 50


def _date(value: str, *, end: bool = False) -> datetime | None:
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    moment = datetime.combine(day, time.max if end else time.min)
    return timezone.make_aware(moment, timezone.get_default_timezone())


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def parse_filters(params) -> selectors.FeedbackFilter:
    channel = params.get("channel") or None
    return selectors.FeedbackFilter(
        channel=channel if channel in Channel.values else None,
        source=(params.get("source") or "").strip() or None,
        since=_date(params.get("since")),
        until=_date(params.get("until"), end=True),
        q=(params.get("q") or "").strip()[:200] or None,
        score_min=_float(params.get("score_min")),
        score_max=_float(params.get("score_max")),
        has_text={"yes": True, "no": False}.get(params.get("has_text", "")),
    )


@workspace_view(Perm.VIEW_DATA)
def inbox(request):
    filters = parse_filters(request.GET)
    error = None
    try:
        items, next_cursor = selectors.feedback_page(
            workspace=request.workspace, filters=filters, cursor=request.GET.get("cursor"), limit=PAGE_SIZE
        )
    except ServiceError as exc:
        items, next_cursor, error = [], None, exc.message
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "items": items,
        "next_cursor": next_cursor,
        "filter_query": query.urlencode(),
        "f": request.GET,
        "channels": Channel.choices,
        "sources": selectors.sources(workspace=request.workspace),
        "error": error,
    }
    if request.htmx and request.GET.get("cursor"):
        return render(request, "feedback/_rows.html", context)
    return render(request, "feedback/inbox.html", context)


@workspace_view(Perm.VIEW_DATA)
def item_detail(request, item_id: int):
    item = selectors.feedback_get(workspace=request.workspace, item_id=item_id)
    if item is None:
        raise Http404("No such feedback item.")
    template = "feedback/_detail.html" if request.htmx else "feedback/detail.html"
    return render(request, template, {"item": item})
