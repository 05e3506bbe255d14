"""Reads of the feedback store. Every function takes the workspace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Prefetch, Q, QuerySet

from cxloop.core.pagination import keyset_page

from .models import Answer, FeedbackItem

SCORE_TYPES = ("nps", "csat", "ces", "rating")


@dataclass(frozen=True)
class FeedbackFilter:
    channel: str | None = None
    source: str | None = None
    customer_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    has_text: bool | None = None
    q: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    # drill-down filters (the dashboards link here with them)
    touchpoint: str | None = None
    segment: str | None = None  # the customer's
    region: str | None = None  # the customer's
    theme_id: int | None = None  # a counted (not rejected) mention of the theme or one of its sub-themes
    sentiment: str | None = None  # the reading's: negative, neutral, positive
    answer: str | None = None  # an answer of this type (one of SCORE_TYPES); score_min/max then apply to it


def feedback_queryset(*, workspace, filters: FeedbackFilter = FeedbackFilter()) -> QuerySet[FeedbackItem]:
    qs = FeedbackItem.objects.filter(workspace=workspace)
    f = filters
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.customer_id is not None:
        qs = qs.filter(customer_id=f.customer_id)
    if f.since:
        qs = qs.filter(occurred_at__gte=f.since)
    if f.until:
        qs = qs.filter(occurred_at__lt=f.until)
    if f.has_text is True:
        qs = qs.exclude(text="")
    elif f.has_text is False:
        qs = qs.filter(text="")
    if f.q:
        qs = qs.filter(text__icontains=f.q)
    if f.touchpoint:
        qs = qs.filter(touchpoint=f.touchpoint)
    if f.segment:
        qs = qs.filter(customer__segment=f.segment)
    if f.region:
        qs = qs.filter(customer__region=f.region)
    if f.sentiment:
        qs = qs.filter(enrichment__sentiment=f.sentiment)
    if f.theme_id is not None:
        from cxloop.analysis.models import ThemeMention

        mentioned = (
            ThemeMention.objects.filter(item=OuterRef("pk"), workspace=workspace)
            .exclude(status=ThemeMention.Status.REJECTED)
            .filter(Q(theme_id=f.theme_id) | Q(theme__parent_id=f.theme_id))
        )
        qs = qs.filter(Exists(mentioned))
    if f.score_min is not None or f.score_max is not None or f.answer:
        # EXISTS per item (not IN over every matching answer): walking items newest first, the page fills
        # after a few dozen checks on the answers' (item, key) index, whatever the store's size.
        types = [f.answer] if f.answer else SCORE_TYPES
        scores = Answer.objects.filter(item=OuterRef("pk"), type__in=types, value__isnull=False)
        if f.score_min is not None:
            scores = scores.filter(value__gte=f.score_min)
        if f.score_max is not None:
            scores = scores.filter(value__lte=f.score_max)
        qs = qs.filter(Exists(scores))
    return qs


def _with_related(qs: QuerySet[FeedbackItem]) -> QuerySet[FeedbackItem]:
    from cxloop.analysis.models import ThemeMention

    return (
        qs.select_related("customer", "enrichment")
        .defer("enrichment__embedding")
        .prefetch_related(
            Prefetch("answers", queryset=Answer.objects.order_by("id")),
            Prefetch(
                "theme_mentions",
                queryset=ThemeMention.objects.exclude(status=ThemeMention.Status.REJECTED)
                .select_related("theme__parent")
                .order_by(F("score").desc(nulls_first=True), "pk"),  # analysts' first, on every database
                to_attr="themes_found",
            ),
        )
    )


def feedback_page(*, workspace, filters: FeedbackFilter, cursor: str | None, limit: int):
    qs = _with_related(feedback_queryset(workspace=workspace, filters=filters))
    return keyset_page(qs, time_field="occurred_at", cursor=cursor, limit=limit)


def feedback_get(*, workspace, item_id: int) -> FeedbackItem | None:
    """One item with its answers, customer, reading and themes; `has_vector` tells whether the models left a
    sentence vector for it (what "Find similar feedback" compares)."""
    has_vector = ExpressionWrapper(Q(enrichment__embedding__isnull=False), output_field=BooleanField())
    qs = FeedbackItem.objects.filter(workspace=workspace, pk=item_id).annotate(has_vector=has_vector)
    return _with_related(qs).first()


# -- for semantic search (cxloop.analysis.search): the index proposes ids, the store decides ----------------
IDS_PER_QUERY = 2000  # ids in one IN (...): well under SQLite's and PostgreSQL's limits


def feedback_ids_matching(*, workspace, filters: FeedbackFilter, item_ids) -> set[int]:
    """Which of these ids are items of the workspace that pass the filters."""
    ids = list(item_ids)
    found: set[int] = set()
    qs = feedback_queryset(workspace=workspace, filters=filters)
    for start in range(0, len(ids), IDS_PER_QUERY):
        found.update(qs.filter(pk__in=ids[start : start + IDS_PER_QUERY]).values_list("pk", flat=True))
    return found


def feedback_ids(*, workspace, filters: FeedbackFilter) -> list[int]:
    """The ids of every item of the workspace that passes the filters."""
    return list(feedback_queryset(workspace=workspace, filters=filters).values_list("pk", flat=True))


def feedback_in_order(*, workspace, item_ids: list[int]) -> list[FeedbackItem]:
    """The workspace's items of these ids, with what the Inbox and the API show, in the order given (ids of
    other workspaces or of erased items are left out)."""
    by_id = {
        item.pk: item
        for item in _with_related(FeedbackItem.objects.filter(workspace=workspace, pk__in=list(item_ids)))
    }
    return [by_id[i] for i in item_ids if i in by_id]


def sources(*, workspace, limit: int = 200) -> list[str]:
    """The distinct sources of a workspace, for filter menus.

    A loose index scan: one index seek per distinct source on (workspace, source, …), so the cost follows
    the number of sources, not of items (a plain DISTINCT read 1.1M rows: 234 ms on PostgreSQL; this, 3 ms).
    """
    table = connection.ops.quote_name(FeedbackItem._meta.db_table)
    sql = f"""
        WITH RECURSIVE s(source) AS (
            SELECT * FROM (SELECT source FROM {table} WHERE workspace_id = %s AND source > ''
                           ORDER BY source LIMIT 1) AS first
            UNION ALL
            SELECT (SELECT f.source FROM {table} f WHERE f.workspace_id = %s AND f.source > s.source
                    ORDER BY f.source LIMIT 1)
            FROM s WHERE s.source IS NOT NULL
        )
        SELECT source FROM s WHERE source IS NOT NULL LIMIT %s
    """  # noqa: S608 - the table name is ours
    with connection.cursor() as cursor:
        cursor.execute(sql, [workspace.pk, workspace.pk, limit])
        return [row[0] for row in cursor.fetchall()]
