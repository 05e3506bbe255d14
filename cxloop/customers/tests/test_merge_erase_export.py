"""Merging duplicate customers, erasing a customer (GDPR art. 17) and exporting everything about one
(art. 15/20), through the API and the services."""

from __future__ import annotations

import pytest

from cxloop.accounts.models import AuditEvent
from cxloop.core.exceptions import NotFound
from cxloop.customers.models import Customer, Event, Identity
from cxloop.customers.services import customer_export, customer_merge
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.feedback.tests.helpers import assert_problem, audit_actions, feedback_body, ingest, store_state

URL = "/api/v1/customers"


def _merge(api, key, keep_id, merge_id):
    return api("post", f"{URL}/{keep_id}/merge", key=key, json={"merge_id": merge_id})


# --- Merge --------------------------------------------------------------------------------------
def test_merge_moves_feedback_events_and_identities_to_the_kept_customer(
    cast, api, acme_key, acme_world, make_event
):
    anna, bob = acme_world.anna, acme_world.bob
    make_event(cast.workspace, name="ticket_opened", customer={"id": bob.pk})

    response = _merge(api, acme_key, anna.pk, bob.pk)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == anna.pk
    assert sorted((i["value"], i["is_alias"]) for i in body["identities"]) == [
        ("anna@shop.example", False),
        ("bob@shop.example", True),
        ("crm-1", False),
    ]
    assert FeedbackItem.objects.filter(customer=anna).count() == 3
    assert Event.objects.filter(customer=anna).count() == 3
    assert not FeedbackItem.objects.filter(customer=bob).exists()
    assert not Event.objects.filter(customer=bob).exists()
    bob.refresh_from_db()
    assert bob.merged_into == anna


def test_merged_id_answers_the_kept_customer(api, acme_key, acme_world):
    _merge(api, acme_key, acme_world.anna.pk, acme_world.bob.pk)

    response = api("get", f"{URL}/{acme_world.bob.pk}", key=acme_key)

    assert response.status_code == 200
    assert response.json()["id"] == acme_world.anna.pk


def test_merge_is_audited_with_what_moved(cast, api, acme_key, acme_world):
    _merge(api, acme_key, acme_world.anna.pk, acme_world.bob.pk)

    event = AuditEvent.objects.get(workspace=cast.workspace, action="customer.merged")
    assert event.data == {"kept": acme_world.anna.pk, "merged": acme_world.bob.pk, "feedback": 1, "events": 0}
    assert event.actor_key.workspace == cast.workspace


def test_merge_fills_gaps_of_the_kept_profile_without_overwriting_it(cast, api, acme_key, make_customer):
    keep = make_customer(cast.workspace, email="a@shop.example", name="Anna", attributes={"tier": 1})
    gone = make_customer(
        cast.workspace,
        email="b@shop.example",
        name="A. Berg",
        plan="gold",
        attributes={"tier": 2, "vip": True},
    )

    _merge(api, acme_key, keep.pk, gone.pk)

    keep.refresh_from_db()
    assert (keep.name, keep.plan) == ("Anna", "gold")
    assert keep.attributes == {"tier": 1, "vip": True}


def test_merging_a_customer_into_itself_is_400_and_changes_nothing(cast, api, acme_key, acme_world):
    response = _merge(api, acme_key, acme_world.anna.pk, acme_world.anna.pk)

    assert "itself" in assert_problem(response, 400)["detail"]
    assert store_state(cast.workspace) == acme_world.before
    assert "customer.merged" not in audit_actions(cast.workspace)


@pytest.mark.parametrize("which", ["keep", "merge"])
def test_merging_an_unknown_customer_is_404(cast, api, acme_key, acme_world, which):
    ids = {"keep": acme_world.anna.pk, "merge": acme_world.bob.pk, which: 987654}

    response = _merge(api, acme_key, ids["keep"], ids["merge"])

    assert_problem(response, 404)
    assert store_state(cast.workspace) == acme_world.before


def test_merging_an_already_merged_customer_is_404(cast, api, acme_key, acme_world, make_customer):
    carl = make_customer(cast.workspace, email="carl@shop.example")
    _merge(api, acme_key, acme_world.anna.pk, acme_world.bob.pk)
    before = store_state(cast.workspace)

    response = _merge(api, acme_key, carl.pk, acme_world.bob.pk)

    assert_problem(response, 404)
    assert store_state(cast.workspace) == before


def test_merging_a_customer_with_aliases_moves_the_aliases_too(
    cast, api, acme_key, acme_world, make_customer
):
    carl = make_customer(cast.workspace, email="carl@shop.example")
    _merge(api, acme_key, acme_world.bob.pk, carl.pk)

    _merge(api, acme_key, acme_world.anna.pk, acme_world.bob.pk)

    carl.refresh_from_db()
    assert carl.merged_into == acme_world.anna
    assert api("get", f"{URL}/{carl.pk}", key=acme_key).json()["id"] == acme_world.anna.pk
    assert Identity.objects.get(value="carl@shop.example").customer == acme_world.anna


def test_merge_without_merge_id_is_422(api, acme_key, acme_world):
    response = api("post", f"{URL}/{acme_world.anna.pk}/merge", key=acme_key, json={})

    assert_problem(response, 422)


def test_read_key_may_not_merge(cast, api, make_key, acme_world):
    response = _merge(api, make_key(cast.workspace, ["read"]), acme_world.anna.pk, acme_world.bob.pk)

    assert_problem(response, 403)
    assert store_state(cast.workspace) == acme_world.before


# --- Erase --------------------------------------------------------------------------------------
def test_erasing_a_customer_removes_them_with_their_feedback_and_events(cast, api, acme_key, acme_world):
    anna = acme_world.anna

    response = api("delete", f"{URL}/{anna.pk}", key=acme_key)

    assert response.status_code == 204
    assert not Customer.objects.filter(pk=anna.pk).exists()
    assert not Identity.objects.filter(customer_id=anna.pk).exists()
    assert not FeedbackItem.objects.filter(pk__in=[i.pk for i in acme_world.items[:2]]).exists()
    assert not Answer.objects.filter(item_id__in=[i.pk for i in acme_world.items[:2]]).exists()
    assert not Event.objects.filter(workspace=cast.workspace).exists()
    assert_problem(api("get", f"{URL}/{anna.pk}", key=acme_key), 404)
    # Bob and his feedback stay
    assert list(FeedbackItem.objects.values_list("customer_id", flat=True)) == [acme_world.bob.pk]


def test_erasing_a_customer_is_audited_with_counts_only(cast, api, acme_key, acme_world):
    api("delete", f"{URL}/{acme_world.anna.pk}", key=acme_key)

    event = AuditEvent.objects.get(workspace=cast.workspace, action="customer.erased")
    assert event.target == f"customer {acme_world.anna.pk}"
    assert event.data == {"customers": 1, "feedback_items": 2, "events": 2}
    assert "anna" not in str(event.data).lower()


def test_erasing_a_customer_erases_the_customers_merged_into_them(cast, api, acme_key, acme_world):
    _merge(api, acme_key, acme_world.anna.pk, acme_world.bob.pk)

    api("delete", f"{URL}/{acme_world.anna.pk}", key=acme_key)

    assert store_state(cast.workspace) == {
        "feedback": [],
        "answers": [],
        "customers": [],
        "identities": [],
        "events": [],
    }


def test_erasing_by_a_merged_id_is_404_and_erases_nothing(cast, api, acme_key, acme_world):
    _merge(api, acme_key, acme_world.anna.pk, acme_world.bob.pk)
    before = store_state(cast.workspace)

    response = api("delete", f"{URL}/{acme_world.bob.pk}", key=acme_key)

    assert_problem(response, 404)
    assert store_state(cast.workspace) == before


def test_erasing_an_unknown_customer_is_404(api, acme_key, db):
    assert_problem(api("delete", f"{URL}/987654", key=acme_key), 404)


def test_read_key_may_not_erase(cast, api, make_key, acme_world):
    response = api("delete", f"{URL}/{acme_world.anna.pk}", key=make_key(cast.workspace, ["read"]))

    assert_problem(response, 403)
    assert store_state(cast.workspace) == acme_world.before


# --- Export -------------------------------------------------------------------------------------
def test_export_holds_profile_identities_feedback_and_events(cast, acme_world):
    data = customer_export(workspace=cast.workspace, customer_id=acme_world.anna.pk, actor=cast.analyst)

    assert data["customer"]["id"] == acme_world.anna.pk
    assert (data["customer"]["name"], data["customer"]["plan"]) == ("Anna Berg", "gold")
    assert {i["value"] for i in data["identities"]} == {"crm-1", "anna@shop.example"}
    assert [f["text"] for f in data["feedback"]] == ["Anna's broken parcel", "Anna's late parcel"]
    assert data["feedback"][0]["answers"] == [
        {"key": "nps", "type": "nps", "value": 3.0, "text": "", "choices": None}
    ]
    assert [e["name"] for e in data["events"]] == ["order_placed", "order_delivered"]


def test_export_includes_what_came_from_merged_customers(cast, acme_world):
    customer_merge(workspace=cast.workspace, keep_id=acme_world.anna.pk, merge_id=acme_world.bob.pk)

    data = customer_export(workspace=cast.workspace, customer_id=acme_world.anna.pk)

    assert data["customer"]["merged_ids"] == [acme_world.bob.pk]
    assert len(data["feedback"]) == 3
    assert {i["value"] for i in data["identities"]} == {"crm-1", "anna@shop.example", "bob@shop.example"}


def test_export_is_audited_with_counts(cast, acme_world):
    customer_export(workspace=cast.workspace, customer_id=acme_world.anna.pk, actor=cast.analyst)

    event = AuditEvent.objects.get(workspace=cast.workspace, action="export")
    assert (event.actor, event.target) == (cast.analyst, f"customer {acme_world.anna.pk}")
    assert event.data == {"feedback": 2, "events": 2}


def test_export_of_another_workspaces_customer_is_not_found(cast, acme_world):
    with pytest.raises(NotFound):
        customer_export(workspace=cast.other_workspace, customer_id=acme_world.anna.pk, actor=cast.outsider)

    assert "export" not in audit_actions(cast.other_workspace) + audit_actions(cast.workspace)


def test_export_leaves_out_other_customers_data(cast, acme_world):
    ingest(cast.workspace, feedback_body(external_id="anon", customer=..., text="Anonymous note"))

    data = customer_export(workspace=cast.workspace, customer_id=acme_world.bob.pk)

    assert [f["text"] for f in data["feedback"]] == ["Bob is happy"]
    assert data["events"] == []
