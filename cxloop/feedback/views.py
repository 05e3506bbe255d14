"""Inbox: all feedback across channels, newest first, with filters, pages and a detail drawer; or, searching
by meaning (a text, or "like" an item), the feedback most similar first."""

from __future__ import annotations

import dataclasses
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


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@workspace_view(Perm.VIEW_DATA)
def inbox(request):
    filters = parse_filters(request.GET)
    like = _int(request.GET.get("like"))
    meaning = request.GET.get("mode") == "meaning"
    if like is not None or (meaning and filters.q):
        return _inbox_by_meaning(request, filters, like=like, meaning=meaning)
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


def _inbox_by_meaning(request, filters: selectors.FeedbackFilter, *, like: int | None, meaning: bool):
    """The Inbox's list as semantic search: the feedback nearest in meaning to the search text, or to the item
    `like` (from "Find similar feedback" in the drawer), most similar first; the other filters apply (and the
    search text too, as words, beside `like` when words are asked for)."""
    from cxloop.analysis.search import MAX_QUERY_CHARS, search

    text = (request.GET.get("q") or "").strip()[:MAX_QUERY_CHARS] or None
    if meaning:  # the text is what to search for, not words the texts must contain
        filters = dataclasses.replace(filters, q=None)
    items, error, reason, like_item = [], None, "", None
    try:
        if like is not None:
            like_item = selectors.feedback_get(workspace=request.workspace, item_id=like)
        results = search(
            workspace=request.workspace,
            query=None if like is not None else text,
            like_item_id=like,
            filters=filters,
            limit=PAGE_SIZE,
        )
    except ServiceError as exc:
        error = exc.message
    else:
        reason = results.reason
        for item, similarity in results:
            item.similarity = similarity
            items.append(item)
    context = {
        "items": items,
        "next_cursor": None,
        "f": request.GET,
        "channels": Channel.choices,
        "sources": selectors.sources(workspace=request.workspace),
        "error": error,
        "by_meaning": True,
        "like_item": like_item,
        "reason": reason,
    }
    return render(request, "feedback/inbox.html", context)


@workspace_view(Perm.VIEW_DATA)
def item_detail(request, item_id: int):
    item = selectors.feedback_get(workspace=request.workspace, item_id=item_id)
    if item is None:
        raise Http404("No such feedback item.")
    template = "feedback/_detail.html" if request.htmx else "feedback/detail.html"
    return render(request, template, {"item": item})
