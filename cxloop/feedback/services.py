"""Writes of the feedback store: ingest (one item or a batch, from any way in) and erase."""

from __future__ import annotations

from django.db import transaction

from cxloop.accounts.models import AuditEvent, User, Workspace
from cxloop.accounts.services import audit_record
from cxloop.core.bulk import insert_rows
from cxloop.core.exceptions import NotFound
from cxloop.core.request_meta import SYSTEM, RequestMeta
from cxloop.customers.services import insert_new, plan_new_rows

from .models import Answer, FeedbackItem
from .schemas import FeedbackIn

ITEM_FIELDS = [
    "workspace",
    "customer",
    "channel",
    "source",
    "touchpoint",
    "external_id",
    "occurred_at",
    "received_at",
    "language",
    "title",
    "text",
    "metadata",
]

ANSWER_FIELDS = [
    "workspace",
    "item",
    "key",
    "type",
    "occurred_at",
    "channel",
    "value",
    "text",
    "choices",
    "scale_min",
    "scale_max",
]


@transaction.atomic
def feedback_ingest(
    *, workspace: Workspace, items: list[FeedbackIn], attach_answers: bool = False
) -> list[tuple[FeedbackItem, bool]]:
    """Store feedback items with their answers; returns (item, created) per input, in order.

    An item whose (source, external_id) is already stored — or repeated earlier in the same batch — is
    returned as stored, not duplicated, so retries are safe. Customers are found or created by identity.
    """
    out, rows = plan_new_rows(
        workspace=workspace,
        items=items,
        queryset=FeedbackItem.objects.filter(workspace=workspace),
        build=lambda data, customer, now: FeedbackItem(
            workspace=workspace,
            customer=customer,
            channel=data.channel,
            source=data.source,
            touchpoint=data.touchpoint,
            external_id=data.external_id,
            occurred_at=data.occurred_at,
            received_at=now,
            language=data.language,
            title=data.title,
            text=data.text,
            metadata=data.metadata,
        ),
    )
    insert_new(FeedbackItem, ITEM_FIELDS, rows)
    answer_rows = []
    for item, data in rows:
        for a in data.answers:
            n = a.normalized
            answer_rows.append(
                (
                    workspace.pk,
                    item.pk,
                    a.key,
                    a.type,
                    item.occurred_at,
                    item.channel,
                    n["value"],
                    n["text"],
                    n["choices"],
                    n["scale_min"],
                    n["scale_max"],
                )
            )
    insert_rows(Answer, ANSWER_FIELDS, answer_rows)
    # every text is read by the local models in the background, once this transaction commits
    from cxloop.analysis.services import enrich_later

    enrich_later([item.pk for item, _ in rows if item.text or item.title])
    if attach_answers:
        # Callers that answer with the stored items (single create) read the answers without a query.
        for item, data in rows:
            item._prefetched_objects_cache = {
                "answers": [
                    Answer(
                        workspace=workspace,
                        item=item,
                        key=a.key,
                        type=a.type,
                        occurred_at=item.occurred_at,
                        channel=item.channel,
                        **a.normalized,
                    )
                    for a in data.answers
                ]
            }
    return out


@transaction.atomic
def feedback_erase(
    *,
    workspace: Workspace,
    item_id: int,
    actor: User | None = None,
    actor_key=None,
    meta: RequestMeta = SYSTEM,
) -> None:
    deleted, _ = FeedbackItem.objects.filter(workspace=workspace, pk=item_id).delete()
    if not deleted:
        raise NotFound(f"No feedback item with id {item_id} in this workspace.")
    audit_record(
        action=AuditEvent.Action.FEEDBACK_ERASED,
        workspace=workspace,
        actor=actor,
        actor_key=actor_key,
        meta=meta,
        target=f"feedback {item_id}",
    )


def store_mapped(*, workspace: Workspace, kind: str, items: list) -> list[tuple[object, bool]]:
    """Store what a mapping produced (webhooks and imports): events for an "event" mapping, else feedback."""
    if kind == "event":
        from cxloop.customers.services import events_create

        return events_create(workspace=workspace, items=items)
    return feedback_ingest(workspace=workspace, items=items)


@transaction.atomic
def feedback_replace_answers(
    *, item: FeedbackItem, answers: list, text: str | None = None, metadata: dict | None = None
) -> FeedbackItem:
    """Replace an item's answers (and optionally its text and metadata): a survey response that goes on
    after its first page updates the item it wrote then. `answers` are AnswerIn."""
    Answer.objects.filter(item=item).delete()
    insert_rows(
        Answer,
        ANSWER_FIELDS,
        [
            (
                item.workspace_id,
                item.pk,
                a.key,
                a.type,
                item.occurred_at,
                item.channel,
                a.normalized["value"],
                a.normalized["text"],
                a.normalized["choices"],
                a.normalized["scale_min"],
                a.normalized["scale_max"],
            )
            for a in answers
        ],
    )
    fields = []
    if text is not None and text != item.text:
        item.text = text
        fields.append("text")
        from cxloop.analysis.services import enrich_later

        enrich_later([item.pk])
    if metadata is not None:
        item.metadata = metadata
        fields.append("metadata")
    if fields:
        item.save(update_fields=fields)
    return item
