"""/api/v1/customers: create or update by identity, list with cursor and search, read one; and the wall
between workspaces on every customers route."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cxloop.customers.models import Customer, Identity
from cxloop.feedback.tests.helpers import assert_problem, audit_actions, error_locs, store_state

URL = "/api/v1/customers"


# --- Create or update ---------------------------------------------------------------------------
def test_posting_a_new_customer_creates_it_with_its_identities(cast, api, acme_key):
    payload = {
        "external_id": "crm-1",
        "email": "Anna@Shop.Example",
        "phone": "+44 (20) 7946-0958",
        "name": "Anna Berg",
        "plan": "gold",
        "country": "gb",
        "lifetime_value": "120.50",
        "attributes": {"tier": 2},
    }

    response = api("post", URL, key=acme_key, json=payload)

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["email"], body["plan"], body["country"]) == (
        "Anna Berg",
        "anna@shop.example",
        "gold",
        "GB",
    )
    assert body["lifetime_value"] == "120.50"
    assert body["attributes"] == {"tier": 2}
    assert sorted((i["kind"], i["value"], i["is_alias"]) for i in body["identities"]) == [
        ("email", "anna@shop.example", False),
        ("external_id", "crm-1", False),
        ("phone", "+442079460958", False),
    ]
    assert Customer.objects.get(pk=body["id"]).workspace == cast.workspace


def test_posting_the_same_identities_updates_the_customer(cast, api, acme_key):
    first = api(
        "post", URL, key=acme_key, json={"external_id": "crm-1", "plan": "free", "attributes": {"a": 1}}
    )

    second = api(
        "post",
        URL,
        key=acme_key,
        json={"external_id": "crm-1", "plan": "gold", "segment": "smb", "attributes": {"b": 2}},
    )

    assert (first.status_code, second.status_code) == (201, 200)
    body = second.json()
    assert body["id"] == first.json()["id"]
    assert (body["plan"], body["segment"]) == ("gold", "smb")
    assert body["attributes"] == {"a": 1, "b": 2}
    assert datetime.fromisoformat(body["updated_at"]) > datetime.fromisoformat(first.json()["updated_at"])
    assert Customer.objects.filter(workspace=cast.workspace).count() == 1


def test_posting_a_known_email_with_a_new_phone_adds_the_phone(cast, api, acme_key):
    first = api("post", URL, key=acme_key, json={"email": "anna@shop.example"}).json()

    second = api("post", URL, key=acme_key, json={"email": "ANNA@shop.example", "phone": "0044 20 7946 0958"})

    assert second.status_code == 200
    assert second.json()["id"] == first["id"]
    assert {(i["kind"], i["value"]) for i in second.json()["identities"]} == {
        ("email", "anna@shop.example"),
        ("phone", "+442079460958"),
    }


def test_withdrawn_consent_records_when_they_unsubscribed(api, acme_key):
    api("post", URL, key=acme_key, json={"email": "anna@shop.example", "consent": "granted"})

    body = api("post", URL, key=acme_key, json={"email": "anna@shop.example", "consent": "withdrawn"}).json()

    assert body["consent"] == "withdrawn"
    assert body["unsubscribed_at"] is not None


def test_customer_without_any_identity_is_422(api, acme_key):
    response = api("post", URL, key=acme_key, json={"name": "Nobody", "plan": "gold"})

    body = assert_problem(response, 422)
    assert "at least one of external_id, email, phone or social" in body["errors"][0]["msg"]
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"email": "no-at-sign"}, ["body", "email"]),
        ({"phone": "12"}, ["body", "phone"]),
        ({"email": "a@b.c", "country": "GBR"}, ["body", "country"]),
        ({"email": "a@b.c", "consent": "maybe"}, ["body", "consent"]),
        ({"email": "a@b.c", "lifetime_value": -1}, ["body", "lifetime_value"]),
        ({"email": "a@b.c", "attributes": {f"k{i}": i for i in range(101)}}, ["body", "attributes"]),
    ],
)
def test_invalid_customer_field_is_422_naming_it(api, acme_key, payload, loc):
    response = api("post", URL, key=acme_key, json=payload)

    assert error_locs(response) == [loc]
    assert not Customer.objects.exists()


def test_customer_post_with_idempotency_key_is_replayed(cast, api, acme_key):
    payload = {"email": "anna@shop.example"}

    first = api("post", URL, key=acme_key, json=payload, headers={"Idempotency-Key": "c-1"})
    second = api("post", URL, key=acme_key, json=payload, headers={"Idempotency-Key": "c-1"})

    assert second.status_code == first.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert Customer.objects.filter(workspace=cast.workspace).count() == 1


def test_read_key_may_not_post_a_customer(cast, api, make_key):
    response = api("post", URL, key=make_key(cast.workspace, ["read"]), json={"email": "a@b.c"})

    assert_problem(response, 403)
    assert not Customer.objects.exists()


# --- Read one -----------------------------------------------------------------------------------
def test_get_one_customer_answers_profile_and_identities(api, acme_key, acme_world):
    response = api("get", f"{URL}/{acme_world.anna.pk}", key=acme_key)

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["plan"]) == (acme_world.anna.pk, "Anna Berg", "gold")
    assert {i["value"] for i in body["identities"]} == {"crm-1", "anna@shop.example"}


def test_get_unknown_customer_is_404_problem(api, acme_key, db):
    response = api("get", f"{URL}/987654", key=acme_key)

    body = assert_problem(response, 404)
    assert "987654" in body["detail"]


# --- List and search ----------------------------------------------------------------------------
@pytest.fixture
def seven_customers(cast, make_customer):
    return [
        make_customer(
            cast.workspace, external_id=f"crm-{i}", email=f"person{i}@shop.example", name=f"Person {i}"
        )
        for i in range(7)
    ]


def test_list_answers_customers_newest_first(api, acme_key, seven_customers):
    body = api("get", URL, key=acme_key).json()

    assert [c["id"] for c in body["items"]] == [c.pk for c in reversed(seven_customers)]
    assert body["next"] is None


def test_list_cursor_pages_visit_every_customer_once(api, acme_key, seven_customers):
    seen, url = [], f"{URL}?limit=3"
    while url:
        body = api("get", url, key=acme_key).json()
        assert len(body["items"]) <= 3
        seen += [c["id"] for c in body["items"]]
        url = f"{URL}?limit=3&cursor={body['next']}" if body["next"] else None

    assert seen == [c.pk for c in reversed(seven_customers)]


def test_list_with_garbage_cursor_is_400_problem_naming_cursor(api, acme_key, db):
    response = api("get", f"{URL}?cursor=nonsense", key=acme_key)

    assert assert_problem(response, 400)["field"] == "cursor"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Person 3", [3]),
        ("person3@shop", [3]),
        ("PERSON5@SHOP.EXAMPLE", [5]),
        ("crm-6", [6]),
        ("nobody", []),
    ],
)
def test_list_search_finds_by_name_and_any_identity(api, acme_key, seven_customers, q, expected):
    body = api("get", f"{URL}?q={q}", key=acme_key).json()

    assert [c["id"] for c in body["items"]] == [seven_customers[i].pk for i in expected]


def test_list_filters_by_segment(cast, api, acme_key, make_customer):
    smb = make_customer(cast.workspace, email="a@shop.example", segment="smb")
    make_customer(cast.workspace, email="b@shop.example", segment="enterprise")

    body = api("get", f"{URL}?segment=smb", key=acme_key).json()

    assert [c["id"] for c in body["items"]] == [smb.pk]


def test_list_leaves_out_merged_customers(cast, api, acme_key, acme_world):
    api("post", f"{URL}/{acme_world.anna.pk}/merge", key=acme_key, json={"merge_id": acme_world.bob.pk})

    body = api("get", URL, key=acme_key).json()

    assert [c["id"] for c in body["items"]] == [acme_world.anna.pk]


def test_list_query_count_does_not_grow_with_the_customers(
    cast, api, acme_key, make_customer, django_assert_num_queries
):
    def add(start, stop):
        for i in range(start, stop):
            make_customer(cast.workspace, email=f"c{i}@shop.example", external_id=f"crm-{i}")

    add(0, 5)
    api("get", URL, key=acme_key)  # the key records its last use at most once a minute
    with CaptureQueriesContext(connection) as five:
        assert len(api("get", URL, key=acme_key).json()["items"]) == 5
    add(5, 50)

    with django_assert_num_queries(len(five)):
        assert len(api("get", URL, key=acme_key).json()["items"]) == 50


# --- Workspace isolation ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("get", "/api/v1/customers/{anna}", None),
        ("delete", "/api/v1/customers/{anna}", None),
        ("post", "/api/v1/customers/{anna}/merge", {"merge_id": "{bob}"}),
        ("post", "/api/v1/customers/{anna}/merge", {"merge_id": "{olga}"}),
        ("post", "/api/v1/customers/{olga}/merge", {"merge_id": "{anna}"}),
        ("post", "/api/v1/customers", {"id": "{anna}", "email": "x@other.example", "name": "Stolen"}),
    ],
)
def test_other_workspace_gets_404_for_acme_customers(cast, api, other_key, acme_world, method, path, payload):
    ids = {"anna": acme_world.anna.pk, "bob": acme_world.bob.pk, "olga": acme_world.olga.pk}
    if payload:
        payload = {k: int(v.format(**ids)) if k.endswith("id") else v for k, v in payload.items()}
    olga_before = store_state(cast.other_workspace)

    response = api(method, path.format(**ids), key=other_key, json=payload)

    assert_problem(response, 404)
    assert store_state(cast.workspace) == acme_world.before
    assert store_state(cast.other_workspace) == olga_before
    actions = audit_actions(cast.workspace) + audit_actions(cast.other_workspace)
    assert "customer.merged" not in actions
    assert "customer.erased" not in actions


@pytest.mark.parametrize("query", ["", "?q=anna", "?q=shop.example", "?q=crm-1", "?q=Berg", "?limit=200"])
def test_other_workspace_customer_list_never_contains_acme_customers(cast, api, other_key, acme_world, query):
    response = api("get", f"{URL}{query}", key=other_key)

    assert response.status_code == 200
    ids = [c["id"] for c in response.json()["items"]]
    assert acme_world.anna.pk not in ids
    assert acme_world.bob.pk not in ids
    assert "shop.example" not in response.content.decode()


def test_other_workspace_customer_list_shows_its_own(api, other_key, acme_world):
    body = api("get", URL, key=other_key).json()

    assert [c["id"] for c in body["items"]] == [acme_world.olga.pk]


def test_other_workspace_posting_an_acme_email_creates_its_own_customer(cast, api, other_key, acme_world):
    response = api("post", URL, key=other_key, json={"email": "anna@shop.example", "name": "Other Anna"})

    assert response.status_code == 201
    created = Customer.objects.get(pk=response.json()["id"])
    assert created.workspace == cast.other_workspace
    assert created.pk != acme_world.anna.pk
    assert (
        Identity.objects.get(workspace=cast.workspace, value="anna@shop.example").customer == acme_world.anna
    )
    assert store_state(cast.workspace) == acme_world.before
