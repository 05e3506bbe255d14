"""/api/v1/events: record what customers did (one or a batch, retried safely), list them by customer and
name; and the wall between workspaces on every events route."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cxloop.customers.models import Customer, Event
from cxloop.feedback.tests.helpers import assert_problem, error_locs, store_state

URL = "/api/v1/events"

ORDER = {
    "name": "order_placed",
    "source": "shopify",
    "external_id": "o-1001",
    "occurred_at": "2026-01-03T09:30:00Z",
    "customer": {"external_id": "c-9", "email": "a@b.c"},
    "properties": {"total": 42.5, "currency": "EUR"},
}


def _event(**changes) -> dict:
    return {**ORDER, **changes}


# --- One event ----------------------------------------------------------------------------------
def test_posting_an_event_stores_it_for_its_customer(cast, api, acme_key):
    response = api("post", URL, key=acme_key, json=ORDER)

    assert response.status_code == 201
    body = response.json()
    customer = Customer.objects.get(workspace=cast.workspace)
    assert (body["name"], body["source"], body["external_id"]) == ("order_placed", "shopify", "o-1001")
    assert body["customer_id"] == customer.pk
    assert body["properties"] == {"total": 42.5, "currency": "EUR"}
    assert body["occurred_at"].startswith("2026-01-03T09:30:00")
    assert Event.objects.get(pk=body["id"]).workspace == cast.workspace


def test_replayed_event_returns_the_original(cast, api, acme_key):
    first = api("post", URL, key=acme_key, json=ORDER)

    second = api("post", URL, key=acme_key, json=_event(properties={"total": 1}))

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["properties"] == {"total": 42.5, "currency": "EUR"}
    assert Event.objects.filter(workspace=cast.workspace).count() == 1


def test_same_external_id_from_another_source_is_another_event(cast, api, acme_key):
    api("post", URL, key=acme_key, json=ORDER)

    response = api("post", URL, key=acme_key, json=_event(source="woocommerce"))

    assert response.status_code == 201
    assert Event.objects.filter(workspace=cast.workspace).count() == 2


def test_event_without_customer_is_stored_anonymous(api, acme_key):
    body = api("post", URL, key=acme_key, json=_event(customer=None)).json()

    assert body["customer_id"] is None


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"name": ""}, ["body", "name"]),
        ({"occurred_at": "2099-01-01T00:00:00Z"}, ["body", "occurred_at"]),
        ({"occurred_at": "soon"}, ["body", "occurred_at"]),
        ({"properties": {f"k{i}": i for i in range(101)}}, ["body", "properties"]),
        ({"customer": {"email": "nope"}}, ["body", "customer", "email"]),
    ],
)
def test_invalid_event_is_422_naming_the_field(api, acme_key, changes, loc):
    response = api("post", URL, key=acme_key, json=_event(**changes))

    assert error_locs(response) == [loc]
    assert not Event.objects.exists()


def test_read_key_may_not_post_an_event(cast, api, make_key):
    response = api("post", URL, key=make_key(cast.workspace, ["read"]), json=ORDER)

    assert_problem(response, 403)
    assert not Event.objects.exists()


# --- Batch --------------------------------------------------------------------------------------
def test_event_batch_stores_every_event_and_names_duplicates(cast, api, acme_key):
    items = [
        _event(external_id="o-1"),
        _event(external_id="o-2", name="order_delivered"),
        _event(external_id="o-1"),
    ]

    response = api("post", f"{URL}/batch", key=acme_key, json={"items": items})

    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["existing"]) == (2, 1)
    assert [row["status"] for row in body["items"]] == ["created", "created", "existing"]
    assert body["items"][0]["id"] == body["items"][2]["id"]
    assert Event.objects.filter(workspace=cast.workspace).count() == 2
    assert Customer.objects.filter(workspace=cast.workspace).count() == 1


def test_event_batch_with_one_invalid_event_stores_nothing(api, acme_key):
    items = [_event(external_id="o-1"), _event(external_id="o-2", occurred_at="never")]

    response = api("post", f"{URL}/batch", key=acme_key, json={"items": items})

    assert error_locs(response) == [["body", "items", "1", "occurred_at"]]
    assert not Event.objects.exists()
    assert not Customer.objects.exists()


def test_event_batch_of_1000_is_stored_and_1001_refused(cast, api, acme_key):
    items = [_event(external_id=f"o-{i}", customer={"email": f"c{i % 20}@shop.example"}) for i in range(1001)]

    refused = api("post", f"{URL}/batch", key=acme_key, json={"items": items})
    stored = api("post", f"{URL}/batch", key=acme_key, json={"items": items[:1000]})

    assert error_locs(refused) == [["body", "items"]]
    assert stored.status_code == 201
    assert Event.objects.filter(workspace=cast.workspace).count() == 1000
    assert Customer.objects.filter(workspace=cast.workspace).count() == 20


# --- List ---------------------------------------------------------------------------------------
@pytest.fixture
def timeline(cast, api, acme_key):
    """Five events of two customers over five days: returns customer external id -> customer."""
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    names = ["order_placed", "order_delivered", "order_placed", "ticket_opened", "order_delivered"]
    items = [
        _event(
            name=name,
            external_id=f"e-{i}",
            occurred_at=(start + timedelta(days=i)).isoformat(),
            customer={"external_id": "c-anna" if i % 2 == 0 else "c-bob"},
        )
        for i, name in enumerate(names)
    ]
    api("post", f"{URL}/batch", key=acme_key, json={"items": items})
    return {
        ext: Customer.objects.get(workspace=cast.workspace, identities__value=ext)
        for ext in ("c-anna", "c-bob")
    }


def _names(response) -> list[str]:
    assert response.status_code == 200
    return [e["external_id"] for e in response.json()["items"]]


def test_event_list_answers_newest_first(api, acme_key, timeline):
    assert _names(api("get", URL, key=acme_key)) == ["e-4", "e-3", "e-2", "e-1", "e-0"]


def test_event_list_filters_by_customer(api, acme_key, timeline):
    response = api("get", f"{URL}?customer={timeline['c-anna'].pk}", key=acme_key)

    assert _names(response) == ["e-4", "e-2", "e-0"]


def test_event_list_filters_by_name(api, acme_key, timeline):
    assert _names(api("get", f"{URL}?name=order_placed", key=acme_key)) == ["e-2", "e-0"]


def test_event_list_filters_by_customer_and_name(api, acme_key, timeline):
    response = api("get", f"{URL}?customer={timeline['c-bob'].pk}&name=ticket_opened", key=acme_key)

    assert _names(response) == ["e-3"]


def test_event_list_filters_by_time(api, acme_key, timeline):
    response = api("get", f"{URL}?since=2026-01-02T12:00:00Z&until=2026-01-04T12:00:00Z", key=acme_key)

    assert _names(response) == ["e-2", "e-1"]


def test_event_list_pages_by_cursor(api, acme_key, timeline):
    first = api("get", f"{URL}?limit=2", key=acme_key).json()
    second = api("get", f"{URL}?limit=2&cursor={first['next']}", key=acme_key).json()
    third = api("get", f"{URL}?limit=2&cursor={second['next']}", key=acme_key).json()

    pages = [[e["external_id"] for e in page["items"]] for page in (first, second, third)]
    assert pages == [["e-4", "e-3"], ["e-2", "e-1"], ["e-0"]]
    assert third["next"] is None


def test_event_list_with_garbage_cursor_is_400_problem(api, acme_key, db):
    assert assert_problem(api("get", f"{URL}?cursor=xyz", key=acme_key), 400)["field"] == "cursor"


# --- Workspace isolation ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query", ["", "?name=order_placed", "?customer={anna}", "?since=2020-01-01T00:00:00Z"]
)
def test_other_workspace_event_list_never_contains_acme_events(cast, api, other_key, acme_world, query):
    api("post", URL, key=other_key, json=_event(name="order_placed", customer={"id": acme_world.olga.pk}))

    response = api("get", f"{URL}{query.format(anna=acme_world.anna.pk)}", key=other_key)

    assert response.status_code == 200
    assert acme_world.events[0].pk not in [e["id"] for e in response.json()["items"]]
    assert all(
        Event.objects.get(pk=e["id"]).workspace == cast.other_workspace for e in response.json()["items"]
    )


@pytest.mark.parametrize("route", [URL, f"{URL}/batch"])
def test_other_workspace_cannot_record_events_for_an_acme_customer(cast, api, other_key, acme_world, route):
    event = _event(external_id="x-1", customer={"id": acme_world.anna.pk})
    payload = event if route == URL else {"items": [event]}

    response = api("post", route, key=other_key, json=payload)

    assert str(acme_world.anna.pk) in assert_problem(response, 404)["detail"]
    assert store_state(cast.workspace) == acme_world.before
    assert not Event.objects.filter(workspace=cast.other_workspace).exists()


@pytest.mark.parametrize("route", [URL, f"{URL}/batch"])
def test_other_workspace_reusing_an_acme_event_id_gets_its_own_event(cast, api, other_key, acme_world, route):
    event = _event(source="shop", external_id="o-1", customer={"email": "anna@shop.example"})
    payload = event if route == URL else {"items": [event]}

    response = api("post", route, key=other_key, json=payload)

    assert response.status_code == 201
    stored = Event.objects.get(workspace=cast.other_workspace)
    assert stored.pk != acme_world.events[0].pk
    assert stored.customer.workspace == cast.other_workspace
    assert store_state(cast.workspace) == acme_world.before


def test_one_event_reads_back_and_erases(cast, api, acme_key, acme_world):
    event = acme_world.events[0]

    response = api("get", f"/api/v1/events/{event.pk}", key=acme_key)
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["external_id"]) == ("order_placed", "o-1")

    assert api("delete", f"/api/v1/events/{event.pk}", key=acme_key).status_code == 204
    assert api("get", f"/api/v1/events/{event.pk}", key=acme_key).status_code == 404


def test_other_workspace_cannot_read_or_erase_an_acme_event(cast, api, other_key, acme_world):
    event = acme_world.events[0]

    assert api("get", f"/api/v1/events/{event.pk}", key=other_key).status_code == 404
    assert api("delete", f"/api/v1/events/{event.pk}", key=other_key).status_code == 404
    assert Event.objects.filter(pk=event.pk).exists()
