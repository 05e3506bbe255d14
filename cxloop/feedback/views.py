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


def _date(value: str, *, end: bool = False, tz=None) -> datetime | None:
    """A day of the filter form as the start (or, with end, the last moment) of that day in `tz`."""
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    moment = datetime.combine(day, time.max if end else time.min)
    return timezone.make_aware(moment, tz or timezone.get_default_timezone())


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _text(params, name: str, limit: int = 100) -> str | None:
    return (params.get(name) or "").strip()[:limit] or None


SENTIMENTS = ("negative", "neutral", "positive")
ANSWER_CHOICES = [(t, t.upper() if t != "rating" else "Rating") for t in selectors.SCORE_TYPES]


def parse_filters(params, *, tz=None) -> selectors.FeedbackFilter:
    """The Inbox's filters from its query string; days are read in `tz` (the workspace's: the dashboards'
    drill-down links give days in it)."""
    channel = params.get("channel") or None
    sentiment = params.get("sentiment") or None
    answer = params.get("answer") or None
    return selectors.FeedbackFilter(
        channel=channel if channel in Channel.values else None,
        source=(params.get("source") or "").strip() or None,
        since=_date(params.get("since"), tz=tz),
        until=_date(params.get("until"), end=True, tz=tz),
        q=(params.get("q") or "").strip()[:200] or None,
        score_min=_float(params.get("score_min")),
        score_max=_float(params.get("score_max")),
        has_text={"yes": True, "no": False}.get(params.get("has_text", "")),
        touchpoint=_text(params, "touchpoint"),
        segment=_text(params, "segment"),
        region=_text(params, "region"),
        theme_id=_theme_id(params.get("theme")),
        sentiment=sentiment if sentiment in SENTIMENTS else None,
        answer=answer if answer in selectors.SCORE_TYPES else None,
    )


@dataclasses.dataclass(frozen=True)
class Chip:
    """An active drill-down filter, shown above the list with a link that drops it."""

    label: str
    remove_url: str


def drilldown_chips(request, filters: selectors.FeedbackFilter) -> list[Chip]:
    """What narrows the list, each with a link to the same list without it (a dashboard's link often sets
    several filters at once: the chips tell the user why the list is short)."""
    from cxloop.analysis.selectors import theme_get

    def without(*names: str) -> str:
        query = request.GET.copy()
        for name in (*names, "cursor"):
            query.pop(name, None)
        return "?" + query.urlencode()

    f, params = filters, request.GET
    shown = [
        ("channel", "Channel", f.channel and Channel(f.channel).label),
        ("source", "Source", f.source),
        ("since", "From", f.since and params.get("since")),
        ("until", "To", f.until and params.get("until")),
        ("touchpoint", "Touchpoint", f.touchpoint),
        ("segment", "Segment", f.segment),
        ("region", "Region", f.region),
        ("sentiment", "Sentiment", f.sentiment),
    ]
    chips = [Chip(f"{label}: {value}", without(name)) for name, label, value in shown if value]
    if filters.theme_id is not None:
        theme = theme_get(workspace=request.workspace, theme_id=filters.theme_id)
        chips.append(Chip(f"Theme: {theme.path if theme else 'unknown theme'}", without("theme")))
    low, high = filters.score_min, filters.score_max
    if filters.answer or low is not None or high is not None:
        kind = filters.answer.upper() if filters.answer else "Any score"
        if low is not None and high is not None:
            span = f"{low:g} to {high:g}"
        elif low is not None or high is not None:
            span = f"≥ {low:g}" if low is not None else f"≤ {high:g}"
        else:
            span = "answered"
        chips.append(Chip(f"{kind} {span}", without("answer", "score_min", "score_max")))
    return chips


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _theme_id(value: str | None) -> int | None:
    """A theme id; one no database could hold matches nothing (0) rather than failing the query."""
    number = _int(value)
    return None if number is None else number if 0 < number < 2**31 else 0


@workspace_view(Perm.VIEW_DATA)
def inbox(request):
    filters = parse_filters(request.GET, tz=request.workspace.zone)
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
        "answer_types": ANSWER_CHOICES,
        "sentiments": SENTIMENTS,
        "sources": selectors.sources(workspace=request.workspace),
        "error": error,
    }
    if request.htmx and request.GET.get("cursor"):
        return render(request, "feedback/_rows.html", context)
    context["chips"] = drilldown_chips(request, filters)
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
        "answer_types": ANSWER_CHOICES,
        "sentiments": SENTIMENTS,
        "sources": selectors.sources(workspace=request.workspace),
        "error": error,
        "by_meaning": True,
        "like_item": like_item,
        "reason": reason,
        "chips": drilldown_chips(request, filters),
    }
    return render(request, "feedback/inbox.html", context)


@workspace_view(Perm.VIEW_DATA)
def item_detail(request, item_id: int):
    item = selectors.feedback_get(workspace=request.workspace, item_id=item_id)
    if item is None:
        raise Http404("No such feedback item.")
    template = "feedback/_detail.html" if request.htmx else "feedback/detail.html"
    return render(request, template, {"item": item})
