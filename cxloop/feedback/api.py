"""/api/v1/feedback: one store for every channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from cxloop.accounts.api_auth import read_key, write_key
from cxloop.core.exceptions import NotFound
from cxloop.core.idempotency import run_idempotent
from cxloop.core.request_meta import RequestMeta
from cxloop.customers.api import BatchOut, batch_body

from . import selectors, services
from .models import Channel, FeedbackItem
from .schemas import FeedbackBatchIn, FeedbackIn

router = Router(tags=["feedback"])


class AnswerOut(Schema):
    key: str
    type: str
    value: float | None
    text: str
    choices: list[str] | None
    scale: list[int] | None

    @staticmethod
    def resolve_scale(obj):
        return [obj.scale_min, obj.scale_max] if obj.scale_min is not None else None


class CustomerBrief(Schema):
    id: int
    name: str
    email: str


class EnrichmentOut(Schema):
    """What the local models read in the text (issue #6); absent until the worker has read it."""

    status: str = Field(..., description="pending, done or failed")
    language: str = Field(..., description='ISO 639 code; "und" when it cannot be told')
    language_confidence: float | None
    sentiment: str
    sentiment_score: float | None
    emotions: dict[str, float]
    flags: dict[str, Any] = Field(..., description="urgency, churn_intent, effort: score and evidence")
    pii: list[dict[str, Any]] = Field(..., description="Kinds and places of personal data found")
    redacted_text: str
    notes: list[str]
    model_version: str
    enriched_at: datetime | None


class ThemeMentionOut(Schema):
    """A theme found in the item (issue #6), with the sentiment of the sentence that carries it."""

    theme_id: int
    path: str = Field(..., description='e.g. "Delivery › Late delivery"')
    score: float | None = Field(..., description="How sure the model is, 0.5–1 (null when set by an analyst)")
    sentiment: str
    sentiment_score: float | None
    evidence: str = Field(..., description="The sentence that mentions it")
    source: str = Field(..., description="model or analyst")
    status: str = Field(..., description="suggested, accepted (rejected ones are not listed)")


class FeedbackOut(Schema):
    id: int
    external_id: str | None
    channel: str
    source: str
    touchpoint: str
    customer: CustomerBrief | None
    occurred_at: datetime
    received_at: datetime
    language: str
    title: str
    text: str
    metadata: dict[str, Any]
    answers: list[AnswerOut]
    enrichment: EnrichmentOut | None = None
    themes: list[ThemeMentionOut] = []

    @staticmethod
    def resolve_enrichment(obj):
        return getattr(obj, "enrichment", None)  # None until the worker has read the text

    @staticmethod
    def resolve_themes(obj):
        return [
            {
                "theme_id": m.theme_id,
                "path": m.theme.path,
                "score": m.score,
                "sentiment": m.sentiment,
                "sentiment_score": m.sentiment_score,
                "evidence": m.evidence,
                "source": m.source,
                "status": m.status,
            }
            for m in _themes_of(obj)
        ]


def _themes_of(item) -> list:
    found = getattr(item, "themes_found", None)  # prefetched by the selectors
    if found is None:
        found = list(item.theme_mentions.exclude(status="rejected").select_related("theme__parent"))
    return found


class FeedbackPage(Schema):
    items: list[FeedbackOut]
    next: str | None


def feedback_json(item: FeedbackItem) -> dict:
    return FeedbackOut.from_orm(item).model_dump()


@router.post(
    "/feedback",
    auth=write_key,
    response={200: FeedbackOut, 201: FeedbackOut},
    summary="Store one feedback item (201; 200 when its external_id is already stored)",
)
def create_feedback(request, payload: FeedbackIn):
    workspace = request.auth.workspace

    def produce():
        ((item, created),) = services.feedback_ingest(
            workspace=workspace, items=[payload], attach_answers=True
        )
        if not created:  # a replay: answer with what is stored
            item = selectors.feedback_get(workspace=workspace, item_id=item.pk)
        return (201 if created else 200), feedback_json(item)

    return run_idempotent(request, workspace, produce)


@router.post(
    "/feedback/batch",
    auth=write_key,
    response={201: BatchOut},
    summary="Store up to 1,000 items; all or nothing, with per-item errors",
)
def create_feedback_batch(request, payload: FeedbackBatchIn):
    def produce():
        pairs = services.feedback_ingest(workspace=request.auth.workspace, items=payload.items)
        return 201, batch_body(pairs)

    return run_idempotent(request, request.auth.workspace, produce)


@router.get("/feedback", response=FeedbackPage, auth=read_key, summary="List feedback, newest first")
def list_feedback(
    request,
    cursor: str | None = None,
    limit: int = 50,
    channel: Channel | None = None,
    source: str | None = None,
    customer: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    has_text: bool | None = None,
    q: str | None = None,
):
    filters = selectors.FeedbackFilter(
        channel=channel, source=source, customer_id=customer, since=since, until=until, has_text=has_text, q=q
    )
    rows, nxt = selectors.feedback_page(
        workspace=request.auth.workspace, filters=filters, cursor=cursor, limit=limit
    )
    return {"items": rows, "next": nxt}


class SimilarFeedbackOut(FeedbackOut):
    similarity: float = Field(
        ..., description="Cosine of the two texts' sentence vectors, 0 to 1 (1: the same meaning)"
    )


class FeedbackSearchOut(Schema):
    items: list[SimilarFeedbackOut] = Field(..., description="Most similar first")
    reason: str | None = Field(
        None, description="Why nothing could be searched, e.g. no feedback has been read yet"
    )


@router.get(
    "/feedback/search",
    response=FeedbackSearchOut,
    auth=read_key,
    summary="Search feedback by meaning, or find feedback like an item",
    description='Give `q`, a text of up to 1,000 characters ("my order never came" finds late parcels '
    "without sharing a word with them), or `like`, the id of an item to find the feedback most like it (the "
    "item itself is not listed); not both. The filters are those of `GET /feedback`. Only texts the local "
    "models have read (`enrichment.status` done) are searched; items come most similar first, each with its "
    "`similarity`. 400 when neither or both of `q` and `like` are given or `q` is too long; 404 when `like` "
    "is not an item of this workspace or has not been read yet.",
)
def search_feedback(
    request,
    q: str | None = None,
    like: int | None = None,
    limit: int = Query(20, ge=1, le=100),
    channel: Channel | None = None,
    source: str | None = None,
    customer: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
):
    from cxloop.analysis.search import search

    filters = selectors.FeedbackFilter(
        channel=channel, source=source, customer_id=customer, since=since, until=until
    )
    results = search(
        workspace=request.auth.workspace, query=q, like_item_id=like, filters=filters, limit=limit
    )
    for item, similarity in results:
        item.similarity = similarity
    return {"items": [item for item, _ in results], "reason": results.reason or None}


@router.get("/feedback/{int:item_id}", response=FeedbackOut, auth=read_key, summary="One feedback item")
def get_feedback(request, item_id: int):
    item = selectors.feedback_get(workspace=request.auth.workspace, item_id=item_id)
    if item is None:
        raise NotFound(f"No feedback item with id {item_id} in this workspace.")
    return item


@router.delete(
    "/feedback/{int:item_id}", response={204: None}, auth=write_key, summary="Erase a feedback item"
)
def erase_feedback(request, item_id: int):
    services.feedback_erase(
        workspace=request.auth.workspace,
        item_id=item_id,
        actor_key=request.auth,
        meta=RequestMeta.from_request(request),
    )
    return HttpResponse(status=204)


class ThemeAddIn(Schema):
    theme_id: int = Field(..., description="An active theme of the workspace's taxonomy")
    evidence: str = Field(
        "",
        max_length=500,
        description="The sentence that shows the theme (default: the item's first 300 characters); "
        "its sentiment becomes the mention's",
    )


class ThemeDecisionIn(Schema):
    decision: Literal["accept", "reject"]


CORRECTIONS_NOTE = (
    " Accepted sentences become examples of their theme and rejected ones counter-examples, for the texts "
    "read from then on; a rejected theme stays hidden and is not suggested again for this item."
)


def _item_themes(workspace, item_id: int) -> list[dict]:
    item = selectors.feedback_get(workspace=workspace, item_id=item_id)
    return FeedbackOut.resolve_themes(item)


@router.post(
    "/feedback/{int:item_id}/themes",
    auth=write_key,
    response={201: list[ThemeMentionOut]},
    summary="Add a theme to a feedback item (an analyst's correction)",
    description="The theme is set as the analyst's, accepted; one the model suggested or that was rejected "
    "becomes accepted. Answers the item's themes, as in `themes` of the item." + CORRECTIONS_NOTE,
)
def add_feedback_theme(request, item_id: int, payload: ThemeAddIn):
    from cxloop.analysis.services import mention_add

    workspace = request.auth.workspace
    mention_add(
        workspace=workspace, user=None, item_id=item_id, theme_id=payload.theme_id, evidence=payload.evidence
    )
    return Status(201, _item_themes(workspace, item_id))


@router.post(
    "/feedback/{int:item_id}/themes/{int:theme_id}/decision",
    auth=write_key,
    response={200: list[ThemeMentionOut]},
    summary="Accept or reject a theme found in a feedback item",
    description="404 when the item, the theme or the theme's mention in the item is unknown. Answers the "
    "item's themes, as in `themes` of the item (a rejected one is no longer listed)." + CORRECTIONS_NOTE,
)
def decide_feedback_theme(request, item_id: int, theme_id: int, payload: ThemeDecisionIn):
    from cxloop.analysis.services import mention_decide

    workspace = request.auth.workspace
    mention_decide(
        workspace=workspace, user=None, item_id=item_id, theme_id=theme_id, decision=payload.decision
    )
    return Status(200, _item_themes(workspace, item_id))


class HookOut(Schema):
    delivery_id: int
    status: str
    duplicate: bool
    error: str


@router.post(
    "/hooks/{token}",
    auth=None,
    response={200: HookOut, 202: HookOut},
    tags=["webhooks"],
    summary="Receive a webhook (verified by signature; stored raw, then mapped)",
)
def receive_hook(request, token: str):
    from .webhooks import webhook_receive

    delivery, is_new = webhook_receive(token=token, headers=request.headers, body=request.body)
    body = {
        "delivery_id": delivery.pk,
        "status": delivery.status,
        "duplicate": not is_new,
        "error": delivery.error,
    }
    return Status(202 if is_new else 200, body)
