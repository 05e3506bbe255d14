"""Reads of customers and events. Every function takes the workspace."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from cxloop.core.pagination import keyset_page

from .models import Customer, Event, Identity


def customers_queryset(*, workspace, q: str | None = None, segment: str | None = None) -> QuerySet[Customer]:
    qs = Customer.objects.filter(workspace=workspace, merged_into__isnull=True)
    if segment:
        qs = qs.filter(segment=segment)
    if q:
        q = q.strip()
        matching = Identity.objects.filter(workspace=workspace, value__icontains=q.lower()).values(
            "customer_id"
        )
        qs = qs.filter(Q(name__icontains=q) | Q(pk__in=matching))
    return qs


def customers_page(
    *, workspace, cursor: str | None, limit: int, q: str | None = None, segment: str | None = None
):
    qs = customers_queryset(workspace=workspace, q=q, segment=segment).prefetch_related("identities")
    return keyset_page(qs, time_field="created_at", cursor=cursor, limit=limit)


def customer_get(*, workspace, customer_id: int) -> Customer | None:
    """A customer by id; the id of a merged customer answers the customer it was merged into."""
    customer = Customer.objects.filter(workspace=workspace, pk=customer_id).first()
    if customer is not None and customer.merged_into_id:
        customer = Customer.objects.filter(workspace=workspace, pk=customer.merged_into_id).first()
    if customer is None:
        return None
    return (
        Customer.objects.filter(pk=customer.pk)
        .prefetch_related("identities")
        .annotate(
            feedback_count=Count("feedback_items", distinct=True), event_count=Count("events", distinct=True)
        )
        .first()
    )


def events_page(
    *,
    workspace,
    cursor: str | None,
    limit: int,
    customer_id: int | None = None,
    name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
):
    qs = Event.objects.filter(workspace=workspace).select_related("customer")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if name:
        qs = qs.filter(name=name)
    if since:
        qs = qs.filter(occurred_at__gte=since)
    if until:
        qs = qs.filter(occurred_at__lt=until)
    return keyset_page(qs, time_field="occurred_at", cursor=cursor, limit=limit)


def customer_timeline(*, workspace, customer: Customer, limit: int = 100) -> list[tuple[str, object]]:
    """Feedback items and events of a customer (and of customers merged into it), newest first, in one
    list of ("feedback" | "event", object)."""
    from cxloop.feedback.models import FeedbackItem

    ids = [
        customer.pk,
        *Customer.objects.filter(workspace=workspace, merged_into=customer).values_list("pk", flat=True),
    ]
    items = FeedbackItem.objects.filter(workspace=workspace, customer_id__in=ids).prefetch_related("answers")
    events = Event.objects.filter(workspace=workspace, customer_id__in=ids)
    rows = [("feedback", i) for i in items.order_by("-occurred_at", "-pk")[:limit]]
    rows += [("event", e) for e in events.order_by("-occurred_at", "-pk")[:limit]]
    rows.sort(key=lambda pair: pair[1].occurred_at, reverse=True)
    return rows[:limit]


def customer_find(*, workspace, ref: str) -> Customer | None:
    """A customer by CX Loop id or by any identity value (email, phone, CRM id, handle)."""
    ref = ref.strip()
    if ref.isdigit():
        found = customer_get(workspace=workspace, customer_id=int(ref))
        if found is not None:
            return found
    identity = (
        Identity.objects.filter(workspace=workspace, value=ref.lower()).first()
        or Identity.objects.filter(workspace=workspace, value=ref).first()
    )
    return customer_get(workspace=workspace, customer_id=identity.customer_id) if identity else None


def event_get(*, workspace, event_id: int) -> Event | None:
    return Event.objects.filter(workspace=workspace, pk=event_id).first()
