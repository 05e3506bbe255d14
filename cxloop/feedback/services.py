"""Writes of the feedback store: ingest (one item or a batch, from any way in) and erase."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cxloop.accounts.models import AuditEvent, User, Workspace
from cxloop.accounts.services import audit_record
from cxloop.core.exceptions import NotFound
from cxloop.core.request_meta import SYSTEM, RequestMeta
from cxloop.customers.services import customers_resolve, stored_by_external_id

from .models import Answer, FeedbackItem
from .schemas import FeedbackIn


@transaction.atomic
def feedback_ingest(*, workspace: Workspace, items: list[FeedbackIn]) -> list[tuple[FeedbackItem, bool]]:
    """Store feedback items with their answers; returns (item, created) per input, in order.

    An item whose (source, external_id) is already stored — or repeated earlier in the same batch — is
    returned as stored, not duplicated, so retries are safe. Customers are found or created by identity.
    """
    keyed = {(i.source, i.external_id) for i in items if i.external_id}
    existing: dict[tuple[str, str], FeedbackItem] = stored_by_external_id(
        FeedbackItem.objects.filter(workspace=workspace), keyed
    )
    customers = customers_resolve(
        workspace=workspace,
        refs=[None if i.external_id and (i.source, i.external_id) in existing else i.customer for i in items],
    )
    now = timezone.now()
    out: list[tuple[FeedbackItem, bool]] = []
    rows: list[tuple[FeedbackItem, FeedbackIn]] = []
    seen: dict[tuple[str, str], FeedbackItem] = {}
    for data, customer in zip(items, customers, strict=True):
        key = (data.source, data.external_id) if data.external_id else None
        if key in existing:
            out.append((existing[key], False))
            continue
        if key in seen:
            out.append((seen[key], False))
            continue
        item = FeedbackItem(
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
        )
        if key is not None:
            seen[key] = item
        rows.append((item, data))
        out.append((item, True))
    FeedbackItem.objects.bulk_create([item for item, _ in rows])
    answers = [
        Answer(
            workspace=workspace,
            item=item,
            key=a.key,
            type=a.type,
            occurred_at=item.occurred_at,
            channel=item.channel,
            **a.normalized,
        )
        for item, data in rows
        for a in data.answers
    ]
    Answer.objects.bulk_create(answers, batch_size=2000)
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
