"""/api/v1/customers and /api/v1/events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from ninja import Router, Schema

from cxloop.accounts.api_auth import read_key, write_key
from cxloop.core.exceptions import NotFound
from cxloop.core.idempotency import run_idempotent
from cxloop.core.request_meta import RequestMeta

from . import selectors, services
from .models import Customer, Event
from .schemas import CustomerIn, EventBatchIn, EventIn

router = Router(tags=["customers"])


class IdentityOut(Schema):
    kind: str
    value: str
    is_alias: bool


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    plan: str
    segment: str
    country: str
    region: str
    lifetime_value: Decimal | None
    signup_at: datetime | None
    attributes: dict[str, Any]
    consent: str
    unsubscribed_at: datetime | None
    identities: list[IdentityOut]
    created_at: datetime
    updated_at: datetime


class CustomerPage(Schema):
    items: list[CustomerOut]
    next: str | None


class EventOut(Schema):
    id: int
    name: str
    source: str
    external_id: str | None
    customer_id: int | None
    occurred_at: datetime
    received_at: datetime
    properties: dict[str, Any]


class EventPage(Schema):
    items: list[EventOut]
    next: str | None


class MergeIn(Schema):
    merge_id: int


def customer_json(customer: Customer) -> dict:
    return CustomerOut.from_orm(customer).model_dump()


def event_json(event: Event) -> dict:
    return EventOut.from_orm(event).model_dump()


@router.get("/customers", response=CustomerPage, auth=read_key, summary="List customers, newest first")
def list_customers(
    request, cursor: str | None = None, limit: int = 50, q: str | None = None, segment: str | None = None
):
    rows, nxt = selectors.customers_page(
        workspace=request.auth.workspace, cursor=cursor, limit=limit, q=q, segment=segment
    )
    return {"items": rows, "next": nxt}


@router.post(
    "/customers",
    auth=write_key,
    response={200: CustomerOut, 201: CustomerOut},
    summary="Create a customer, or update the one its identities find",
)
def upsert_customer(request, payload: CustomerIn):
    def produce():
        customer, created = services.customer_upsert(workspace=request.auth.workspace, ref=payload)
        customer = selectors.customer_get(workspace=request.auth.workspace, customer_id=customer.pk)
        return (201 if created else 200), customer_json(customer)

    return run_idempotent(request, request.auth.workspace, produce)


@router.get("/customers/{int:customer_id}", response=CustomerOut, auth=read_key, summary="One customer")
def get_customer(request, customer_id: int):
    customer = selectors.customer_get(workspace=request.auth.workspace, customer_id=customer_id)
    if customer is None:
        raise NotFound(f"No customer with id {customer_id} in this workspace.")
    return customer


@router.post(
    "/customers/{int:customer_id}/merge",
    response=CustomerOut,
    auth=write_key,
    summary="Merge another customer into this one",
)
def merge_customer(request, customer_id: int, payload: MergeIn):
    services.customer_merge(
        workspace=request.auth.workspace,
        keep_id=customer_id,
        merge_id=payload.merge_id,
        actor_key=request.auth,
        meta=RequestMeta.from_request(request),
    )
    return selectors.customer_get(workspace=request.auth.workspace, customer_id=customer_id)


@router.delete(
    "/customers/{int:customer_id}",
    response={204: None},
    auth=write_key,
    summary="Erase a customer and all their feedback and events",
)
def erase_customer(request, customer_id: int):
    services.customer_erase(
        workspace=request.auth.workspace,
        customer_id=customer_id,
        actor_key=request.auth,
        meta=RequestMeta.from_request(request),
    )
    return HttpResponse(status=204)


@router.get("/events", response=EventPage, auth=read_key, summary="List events, newest first")
def list_events(
    request,
    cursor: str | None = None,
    limit: int = 50,
    customer: int | None = None,
    name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
):
    rows, nxt = selectors.events_page(
        workspace=request.auth.workspace,
        cursor=cursor,
        limit=limit,
        customer_id=customer,
        name=name,
        since=since,
        until=until,
    )
    return {"items": rows, "next": nxt}


@router.get("/events/{int:event_id}", response=EventOut, auth=read_key, summary="One event")
def get_event(request, event_id: int):
    event = selectors.event_get(workspace=request.auth.workspace, event_id=event_id)
    if event is None:
        raise NotFound(f"No event with id {event_id} in this workspace.")
    return event


@router.delete("/events/{int:event_id}", response={204: None}, auth=write_key, summary="Erase an event")
def erase_event(request, event_id: int):
    services.event_erase(workspace=request.auth.workspace, event_id=event_id)
    return HttpResponse(status=204)


@router.post("/events", auth=write_key, response={200: EventOut, 201: EventOut}, summary="Record one event")
def create_event(request, payload: EventIn):
    def produce():
        ((event, created),) = services.events_create(workspace=request.auth.workspace, items=[payload])
        return (201 if created else 200), event_json(event)

    return run_idempotent(request, request.auth.workspace, produce)


class BatchResultOut(Schema):
    id: int
    external_id: str | None
    status: str


class BatchOut(Schema):
    created: int
    existing: int
    items: list[BatchResultOut]


def batch_body(pairs) -> dict:
    items = [
        {"id": obj.pk, "external_id": obj.external_id, "status": "created" if new else "existing"}
        for obj, new in pairs
    ]
    created = sum(1 for _, new in pairs if new)
    return {"created": created, "existing": len(pairs) - created, "items": items}


@router.post(
    "/events/batch",
    auth=write_key,
    response={200: BatchOut, 201: BatchOut},
    summary="Record up to 1,000 events; all or nothing",
)
def create_events_batch(request, payload: EventBatchIn):
    def produce():
        pairs = services.events_create(workspace=request.auth.workspace, items=payload.items)
        return 201, batch_body(pairs)

    return run_idempotent(request, request.auth.workspace, produce)
