"""Fixtures of the customers tests, on top of the shared cast and keys in the root conftest."""

from __future__ import annotations

import pytest


@pytest.fixture
def make_customer():
    """make_customer(workspace, **fields) -> a customer created (or updated) through the upsert service."""
    from cxloop.customers.schemas import CustomerIn
    from cxloop.customers.services import customer_upsert

    def _make(workspace, **fields):
        customer, _ = customer_upsert(workspace=workspace, ref=CustomerIn(**fields))
        return customer

    return _make


@pytest.fixture
def make_event():
    """make_event(workspace, **fields) -> an event stored through the events service."""
    from cxloop.customers.schemas import EventIn
    from cxloop.customers.services import events_create

    def _make(workspace, **fields):
        fields.setdefault("occurred_at", "2026-01-05T09:00:00Z")
        ((event, _),) = events_create(workspace=workspace, items=[EventIn(**fields)])
        return event

    return _make


@pytest.fixture
def acme_world(cast, make_customer, make_event):
    """Acme's customers Anna (two feedback items, two events) and Bob (one item), and the snapshot of
    Acme's store once they are in. Other Co has a customer of its own, Olga."""
    from types import SimpleNamespace

    from cxloop.feedback.tests.helpers import feedback_body, ingest, store_state

    anna = make_customer(
        cast.workspace, external_id="crm-1", email="anna@shop.example", name="Anna Berg", plan="gold"
    )
    bob = make_customer(cast.workspace, email="bob@shop.example", name="Bob Stone")
    items = ingest(
        cast.workspace,
        feedback_body(external_id="f-1", customer={"id": anna.pk}, text="Anna's broken parcel"),
        feedback_body(external_id="f-2", customer={"id": anna.pk}, text="Anna's late parcel"),
        feedback_body(external_id="f-3", customer={"id": bob.pk}, text="Bob is happy"),
    )
    events = [
        make_event(
            cast.workspace, name="order_placed", source="shop", external_id="o-1", customer={"id": anna.pk}
        ),
        make_event(
            cast.workspace, name="order_delivered", source="shop", external_id="o-2", customer={"id": anna.pk}
        ),
    ]
    olga = make_customer(cast.other_workspace, email="olga@other.example", name="Olga Other")
    return SimpleNamespace(
        anna=anna, bob=bob, olga=olga, items=items, events=events, before=store_state(cast.workspace)
    )
