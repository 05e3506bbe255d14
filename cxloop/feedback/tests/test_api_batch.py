"""/api/v1/feedback/batch: up to 1,000 items in one call, all or nothing, errors named by item index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cxloop.customers.models import Customer, Identity
from cxloop.feedback.models import Answer, FeedbackItem

from .helpers import assert_problem, error_locs, feedback_body, store_state

BATCH = "/api/v1/feedback/batch"


def _items(count: int, *, answers: int = 1, prefix: str = "t") -> list[dict]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        feedback_body(
            external_id=f"{prefix}-{i}",
            occurred_at=(start + timedelta(minutes=i)).isoformat(),
            customer={"external_id": f"c-{i % 50}", "email": f"customer{i % 50}@example.com"},
            answers=[{"key": f"q{n}", "type": "nps", "value": (i + n) % 11} for n in range(answers)],
        )
        for i in range(count)
    ]


def test_batch_of_three_valid_items_stores_all_three(cast, api, acme_key):
    response = api("post", BATCH, key=acme_key, json={"items": _items(3)})

    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["existing"]) == (3, 0)
    assert [row["external_id"] for row in body["items"]] == ["t-0", "t-1", "t-2"]
    assert {row["status"] for row in body["items"]} == {"created"}
    stored = set(FeedbackItem.objects.filter(workspace=cast.workspace).values_list("pk", flat=True))
    assert stored == {row["id"] for row in body["items"]}


def test_batch_answers_items_in_the_order_sent(api, acme_key):
    items = _items(3)[::-1]

    body = api("post", BATCH, key=acme_key, json={"items": items}).json()

    assert [row["external_id"] for row in body["items"]] == ["t-2", "t-1", "t-0"]


def test_one_invalid_item_refuses_the_whole_batch_naming_its_index(cast, api, acme_key):
    items = _items(3)
    items[1]["answers"] = [{"key": "nps", "type": "nps", "value": 11}]

    response = api("post", BATCH, key=acme_key, json={"items": items})

    locs = error_locs(response)
    assert locs == [["body", "items", "1", "answers", "0"]]
    body = response.json()
    assert "outside its scale 0–10" in body["errors"][0]["msg"]
    assert body["detail"].startswith("body.items.1.answers.0:")
    assert store_state(cast.workspace) == {
        "feedback": [],
        "answers": [],
        "customers": [],
        "identities": [],
        "events": [],
    }


def test_every_invalid_item_of_a_batch_is_named(cast, api, acme_key):
    items = _items(5)
    items[0]["channel"] = "pigeon"
    items[3]["occurred_at"] = "not a date"

    response = api("post", BATCH, key=acme_key, json={"items": items})

    locs = error_locs(response)
    assert ["body", "items", "0", "channel"] in locs
    assert ["body", "items", "3", "occurred_at"] in locs
    assert not FeedbackItem.objects.exists()


def test_batch_refused_by_a_later_item_stores_none_of_the_earlier_ones(cast, api, acme_key):
    """Item 2 is well-formed but names a customer that does not exist: items 0 and 1 (and their new
    customers) must not be kept."""
    items = _items(3)
    items[2]["customer"] = {"id": 999_999}

    response = api("post", BATCH, key=acme_key, json={"items": items})

    assert_problem(response, 404)
    assert not FeedbackItem.objects.exists()
    assert not Customer.objects.exists()
    assert not Identity.objects.exists()


def test_batch_of_1001_items_is_422(api, acme_key):
    items = [feedback_body(external_id=f"t-{i}", customer=...) for i in range(1001)]

    response = api("post", BATCH, key=acme_key, json={"items": items})

    assert error_locs(response) == [["body", "items"]]
    assert "1000" in response.json()["errors"][0]["msg"]
    assert not FeedbackItem.objects.exists()


def test_empty_batch_is_422(api, acme_key):
    response = api("post", BATCH, key=acme_key, json={"items": []})

    assert error_locs(response) == [["body", "items"]]


def test_batch_without_items_is_422(api, acme_key):
    response = api("post", BATCH, key=acme_key, json=[feedback_body()])

    assert_problem(response, 422)


def test_duplicates_within_one_batch_are_stored_once(cast, api, acme_key):
    items = [feedback_body(), feedback_body(text="a retry"), feedback_body(source="freshdesk")]

    response = api("post", BATCH, key=acme_key, json={"items": items})

    body = response.json()
    assert (body["created"], body["existing"]) == (2, 1)
    assert [row["status"] for row in body["items"]] == ["created", "existing", "created"]
    assert body["items"][0]["id"] == body["items"][1]["id"]
    assert FeedbackItem.objects.filter(workspace=cast.workspace).count() == 2
    assert FeedbackItem.objects.get(source="zendesk").text == feedback_body()["text"]
    assert Answer.objects.filter(workspace=cast.workspace).count() == 2


def test_batch_repeating_stored_items_answers_them_as_existing(cast, api, acme_key):
    first = api("post", BATCH, key=acme_key, json={"items": _items(2)}).json()

    second = api("post", BATCH, key=acme_key, json={"items": _items(3)}).json()

    assert (second["created"], second["existing"]) == (1, 2)
    assert [row["id"] for row in second["items"][:2]] == [row["id"] for row in first["items"]]
    assert FeedbackItem.objects.filter(workspace=cast.workspace).count() == 3


def test_batch_of_1000_items_with_3_answers_each_is_stored(cast, api, acme_key):
    response = api("post", BATCH, key=acme_key, json={"items": _items(1000, answers=3)})

    assert response.status_code == 201
    assert response.json()["created"] == 1000
    assert FeedbackItem.objects.filter(workspace=cast.workspace).count() == 1000
    assert Answer.objects.filter(workspace=cast.workspace).count() == 3000
    assert Customer.objects.filter(workspace=cast.workspace).count() == 50


def test_batch_with_idempotency_key_is_replayed_not_repeated(cast, api, acme_key):
    payload = {"items": [feedback_body(external_id=..., customer=...)] * 2}

    first = api("post", BATCH, key=acme_key, json=payload, headers={"Idempotency-Key": "b-1"})
    second = api("post", BATCH, key=acme_key, json=payload, headers={"Idempotency-Key": "b-1"})

    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert FeedbackItem.objects.filter(workspace=cast.workspace).count() == 2


def test_read_key_may_not_post_a_batch(cast, api, make_key):
    response = api("post", BATCH, key=make_key(cast.workspace, ["read"]), json={"items": _items(1)})

    assert_problem(response, 403)
    assert not FeedbackItem.objects.exists()


def test_retried_batch_of_1000_items_from_1000_sources_stores_nothing_new(cast, api, acme_key):
    items = [feedback_body(external_id=f"t-{i}", source=f"shop-{i}", customer=...) for i in range(1000)]
    api("post", BATCH, key=acme_key, json={"items": items})

    response = api("post", BATCH, key=acme_key, json={"items": items})

    assert response.status_code == 201
    assert (response.json()["created"], response.json()["existing"]) == (0, 1000)
    assert FeedbackItem.objects.filter(workspace=cast.workspace).count() == 1000
