"""/api/v1/feedback: store one item with typed answers, read it back, list with filters and cursor pages,
erase it; Idempotency-Key retries; the per-key rate limit; and the wall between workspaces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cxloop.accounts.models import AuditEvent
from cxloop.customers.models import Customer
from cxloop.feedback.models import Answer, FeedbackItem

from .helpers import assert_problem, audit_actions, feedback_body, ingest, store_state


# --- Store one item -----------------------------------------------------------------------------
def test_posting_a_ticket_stores_it_with_typed_answers(cast, post_feedback):
    response = post_feedback()

    assert response.status_code == 201
    body = response.json()
    assert body["external_id"] == "t-1"
    assert body["channel"] == "ticket"
    assert body["source"] == "zendesk"
    assert body["occurred_at"].startswith("2026-01-02T10:00:00")
    assert body["text"].startswith("The parcel arrived broken")
    assert body["answers"] == [
        {"key": "nps", "type": "nps", "value": 3.0, "text": "", "choices": None, "scale": [0, 10]}
    ]
    item = FeedbackItem.objects.get(pk=body["id"])
    assert item.workspace == cast.workspace
    answer = item.answers.get()
    assert (answer.type, answer.value, answer.scale_min, answer.scale_max) == ("nps", 3.0, 0, 10)
    assert (answer.channel, answer.occurred_at) == ("ticket", item.occurred_at)


def test_posting_a_ticket_creates_its_customer_from_the_reference(cast, post_feedback):
    body = post_feedback().json()

    customer = Customer.objects.get(workspace=cast.workspace)
    assert body["customer"] == {"id": customer.pk, "name": "", "email": "a@b.c"}
    assert sorted(customer.identities.values_list("kind", "value")) == [
        ("email", "a@b.c"),
        ("external_id", "c-9"),
    ]


def test_every_answer_type_is_stored_in_its_typed_column(post_feedback):
    answers = [
        {"key": "nps", "type": "nps", "value": "9"},
        {"key": "csat", "type": "csat", "value": 4, "scale": [1, 5], "text": "good"},
        {"key": "ces", "type": "ces", "value": 2},
        {"key": "stars", "type": "rating", "value": 8, "scale": [1, 10]},
        {"key": "comment", "type": "text", "value": "Fast delivery"},
        {"key": "reason", "type": "choice", "value": " price "},
        {"key": "tags", "type": "multi_choice", "value": ["price", "speed"]},
        {"key": "again", "type": "yes_no", "value": "no"},
        {"key": "orders", "type": "number", "value": 2.5},
        {"key": "delivered_on", "type": "date", "value": "2026-01-01"},
    ]

    response = post_feedback(answers=answers)

    assert response.status_code == 201
    stored = {a["key"]: a for a in response.json()["answers"]}
    assert (stored["nps"]["value"], stored["nps"]["scale"]) == (9.0, [0, 10])
    assert (stored["csat"]["value"], stored["csat"]["scale"], stored["csat"]["text"]) == (4.0, [1, 5], "good")
    assert stored["ces"]["scale"] == [1, 7]
    assert (stored["stars"]["value"], stored["stars"]["scale"]) == (8.0, [1, 10])
    assert (stored["comment"]["text"], stored["comment"]["value"]) == ("Fast delivery", None)
    assert stored["reason"]["choices"] == ["price"]
    assert stored["tags"]["choices"] == ["price", "speed"]
    assert stored["again"]["value"] == 0.0
    assert (stored["orders"]["value"], stored["orders"]["scale"]) == (2.5, None)
    assert stored["delivered_on"]["text"] == "2026-01-01"


def test_replayed_external_id_returns_original_item(cast, post_feedback):
    first = post_feedback()

    second = post_feedback()

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == first.json()
    assert FeedbackItem.objects.filter(workspace=cast.workspace).count() == 1
    assert Answer.objects.filter(workspace=cast.workspace).count() == 1
    assert Customer.objects.filter(workspace=cast.workspace).count() == 1


def test_replayed_external_id_keeps_the_original_text(cast, post_feedback):
    first = post_feedback()

    second = post_feedback(text="A rewritten text", answers=[{"key": "nps", "type": "nps", "value": 10}])

    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["text"] == first.json()["text"]
    assert Answer.objects.get(workspace=cast.workspace).value == 3.0


def test_same_external_id_from_another_source_is_a_new_item(cast, post_feedback):
    first = post_feedback()

    second = post_feedback(source="freshdesk")

    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]
    assert FeedbackItem.objects.filter(workspace=cast.workspace).count() == 2
    assert Customer.objects.filter(workspace=cast.workspace).count() == 1  # same customer reference


def test_items_without_external_id_are_never_deduplicated(cast, post_feedback):
    post_feedback(external_id=...)
    post_feedback(external_id=...)

    assert FeedbackItem.objects.filter(workspace=cast.workspace).count() == 2


def test_anonymous_item_has_no_customer(cast, post_feedback):
    response = post_feedback(customer=...)

    assert response.status_code == 201
    assert response.json()["customer"] is None
    assert not Customer.objects.filter(workspace=cast.workspace).exists()


# --- Read one -----------------------------------------------------------------------------------
def test_get_one_item_answers_what_was_stored(api, acme_key, post_feedback):
    created = post_feedback().json()

    response = api("get", f"/api/v1/feedback/{created['id']}", key=acme_key)

    assert response.status_code == 200
    assert response.json() == created  # the same encoding both ways, timestamps included


def test_read_key_may_read_an_item(cast, api, make_key, post_feedback):
    created = post_feedback().json()

    response = api("get", f"/api/v1/feedback/{created['id']}", key=make_key(cast.workspace, ["read"]))

    assert response.status_code == 200


def test_get_unknown_item_is_404_problem(api, acme_key):
    response = api("get", "/api/v1/feedback/987654", key=acme_key)

    body = assert_problem(response, 404)
    assert "987654" in body["detail"]


# --- List and filter ----------------------------------------------------------------------------
@pytest.fixture
def four_items(api, acme_key):
    """Four items over three months, two of them from customer c-9; returns external id -> item id."""
    items = [
        feedback_body(
            external_id="a",
            text="Broken parcel",
            occurred_at="2026-01-02T10:00:00Z",
            customer={"external_id": "c-9"},
        ),
        feedback_body(
            external_id="b",
            channel="survey",
            source="delighted",
            text="",
            occurred_at="2026-02-01T00:00:00Z",
            customer={"external_id": "c-10"},
        ),
        feedback_body(
            external_id="c",
            channel="review",
            source="trustpilot",
            text="Lovely service",
            occurred_at="2026-03-01T00:00:00Z",
            customer=...,
            answers=[],
        ),
        feedback_body(
            external_id="d",
            source="freshdesk",
            text="PARCEL late again",
            occurred_at="2026-03-15T08:00:00Z",
            customer={"external_id": "c-9"},
        ),
    ]
    response = api("post", "/api/v1/feedback/batch", key=acme_key, json={"items": items})
    assert response.status_code == 201
    return {row["external_id"]: row["id"] for row in response.json()["items"]}


def test_list_answers_every_item_newest_first(api, acme_key, four_items):
    response = api("get", "/api/v1/feedback", key=acme_key)

    assert response.status_code == 200
    body = response.json()
    assert [i["external_id"] for i in body["items"]] == ["d", "c", "b", "a"]
    assert body["next"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("channel=ticket", ["d", "a"]),
        ("channel=review", ["c"]),
        ("source=zendesk", ["a"]),
        ("source=nobody", []),
        ("since=2026-02-01T00:00:00Z", ["d", "c", "b"]),
        ("until=2026-03-01T00:00:00Z", ["b", "a"]),
        ("since=2026-02-01T00:00:00Z&until=2026-03-02T00:00:00Z", ["c", "b"]),
        ("has_text=true", ["d", "c", "a"]),
        ("has_text=false", ["b"]),
        ("q=parcel", ["d", "a"]),
        ("q=lovely", ["c"]),
        ("channel=ticket&q=late", ["d"]),
    ],
)
def test_list_filters_narrow_the_items(api, acme_key, four_items, query, expected):
    response = api("get", f"/api/v1/feedback?{query}", key=acme_key)

    assert response.status_code == 200
    assert [i["external_id"] for i in response.json()["items"]] == expected


def test_list_filter_by_customer_answers_only_their_items(cast, api, acme_key, four_items):
    customer = Customer.objects.get(workspace=cast.workspace, identities__value="c-9")

    response = api("get", f"/api/v1/feedback?customer={customer.pk}", key=acme_key)

    assert [i["external_id"] for i in response.json()["items"]] == ["d", "a"]
    assert {i["customer"]["id"] for i in response.json()["items"]} == {customer.pk}


def test_list_with_unknown_channel_is_422_naming_channel(api, acme_key):
    response = api("get", "/api/v1/feedback?channel=pigeon", key=acme_key)

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["query", "channel"]


def test_list_query_count_does_not_grow_with_the_items(cast, api, acme_key, django_assert_num_queries):
    def add(start, stop):
        ingest(
            cast.workspace,
            *[
                feedback_body(
                    external_id=f"t-{i}",
                    customer={"email": f"c{i}@shop.example"},
                    answers=[
                        {"key": "nps", "type": "nps", "value": 1},
                        {"key": "ces", "type": "ces", "value": 2},
                    ],
                )
                for i in range(start, stop)
            ],
        )

    add(0, 5)
    api("get", "/api/v1/feedback", key=acme_key)  # the key records its last use at most once a minute
    with CaptureQueriesContext(connection) as five:
        assert len(api("get", "/api/v1/feedback", key=acme_key).json()["items"]) == 5
    add(5, 50)

    with django_assert_num_queries(len(five)):
        assert len(api("get", "/api/v1/feedback", key=acme_key).json()["items"]) == 50


# --- Cursor pages -------------------------------------------------------------------------------
@pytest.fixture
def many_items(cast, api, acme_key):
    """120 items, three per minute so that many share a timestamp (the id breaks the tie)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    items = [
        feedback_body(
            external_id=f"t-{i}", occurred_at=(start + timedelta(minutes=i // 3)).isoformat(), customer=...
        )
        for i in range(120)
    ]
    response = api("post", "/api/v1/feedback/batch", key=acme_key, json={"items": items})
    assert response.json()["created"] == 120
    return list(
        FeedbackItem.objects.filter(workspace=cast.workspace)
        .order_by("-occurred_at", "-pk")
        .values_list("pk", flat=True)
    )


def _follow_pages(api, key, url):
    pages = []
    while url:
        response = api("get", url, key=key)
        assert response.status_code == 200
        body = response.json()
        pages.append([i["id"] for i in body["items"]])
        url = f"/api/v1/feedback?limit=50&cursor={body['next']}" if body["next"] else None
    return pages


def test_cursor_pages_visit_every_item_once_newest_first(api, acme_key, many_items):
    pages = _follow_pages(api, acme_key, "/api/v1/feedback?limit=50")

    assert [len(p) for p in pages] == [50, 50, 20]
    seen = [pk for page in pages for pk in page]
    assert seen == many_items


def test_cursor_pages_keep_their_place_when_new_items_arrive(api, acme_key, many_items):
    first = api("get", "/api/v1/feedback?limit=50", key=acme_key).json()
    api(
        "post",
        "/api/v1/feedback",
        key=acme_key,
        json=feedback_body(external_id="newest", occurred_at=datetime.now(UTC).isoformat()),
    )

    rest = _follow_pages(api, acme_key, f"/api/v1/feedback?limit=50&cursor={first['next']}")

    seen = [i["id"] for i in first["items"]] + [pk for page in rest for pk in page]
    assert seen == many_items


def test_limit_is_capped_at_200(api, acme_key, many_items):
    body = api("get", "/api/v1/feedback?limit=5000", key=acme_key).json()

    assert len(body["items"]) == 120
    assert body["next"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "WzEsMiwzXQ",  # [1,2,3]
        "eyJhIjoxfQ",  # {"a":1}
        "WyJub3QgYSBkYXRlIiwxXQ",  # ["not a date",1]
        "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwieCJd",  # ["2026-01-01T00:00:00+00:00","x"]
    ],
)
def test_garbage_cursor_is_400_problem_naming_cursor(api, acme_key, cursor):
    response = api("get", f"/api/v1/feedback?cursor={cursor}", key=acme_key)

    body = assert_problem(response, 400)
    assert body["field"] == "cursor"
    assert "cursor" in body["detail"]


# --- Erase --------------------------------------------------------------------------------------
def test_erasing_an_item_answers_204_then_404(cast, api, acme_key, post_feedback):
    item_id = post_feedback().json()["id"]

    erased = api("delete", f"/api/v1/feedback/{item_id}", key=acme_key)
    read = api("get", f"/api/v1/feedback/{item_id}", key=acme_key)
    again = api("delete", f"/api/v1/feedback/{item_id}", key=acme_key)

    assert erased.status_code == 204
    assert erased.content == b""
    assert_problem(read, 404)
    assert_problem(again, 404)
    assert not FeedbackItem.objects.filter(pk=item_id).exists()
    assert not Answer.objects.filter(item_id=item_id).exists()
    assert Customer.objects.filter(workspace=cast.workspace).count() == 1  # the customer stays


def test_erasing_an_item_is_audited_with_the_key(cast, api, make_key, post_feedback):
    from cxloop.accounts.models import ApiKey

    key = make_key(cast.workspace, ["write"], name="Erasure bot")
    item_id = post_feedback().json()["id"]

    api("delete", f"/api/v1/feedback/{item_id}", key=key)

    event = AuditEvent.objects.get(workspace=cast.workspace, action="feedback.erased")
    assert event.target == f"feedback {item_id}"
    assert event.actor_key == ApiKey.objects.get(name="Erasure bot")


def test_read_key_may_not_erase(cast, api, make_key, post_feedback):
    item_id = post_feedback().json()["id"]

    response = api("delete", f"/api/v1/feedback/{item_id}", key=make_key(cast.workspace, ["read"]))

    assert_problem(response, 403)
    assert FeedbackItem.objects.filter(pk=item_id).exists()


# --- Idempotency-Key ----------------------------------------------------------------------------
def test_same_idempotency_key_and_body_replays_the_first_answer(cast, post_feedback):
    first = post_feedback(external_id=..., headers={"Idempotency-Key": "order-77"})

    second = post_feedback(external_id=..., headers={"Idempotency-Key": "order-77"})

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert FeedbackItem.objects.filter(workspace=cast.workspace).count() == 1


def test_same_idempotency_key_with_another_body_is_409_problem(cast, post_feedback):
    post_feedback(headers={"Idempotency-Key": "order-77"})

    response = post_feedback(text="Something else", headers={"Idempotency-Key": "order-77"})

    body = assert_problem(response, 409)
    assert "Idempotency-Key" in body["detail"]
    assert FeedbackItem.objects.filter(workspace=cast.workspace).count() == 1


def test_same_idempotency_key_on_another_route_is_409_problem(api, acme_key, post_feedback):
    post_feedback(headers={"Idempotency-Key": "k"})

    response = api(
        "post",
        "/api/v1/feedback/batch",
        key=acme_key,
        json={"items": [feedback_body()]},
        headers={"Idempotency-Key": "k"},
    )

    assert_problem(response, 409)


def test_idempotency_keys_are_per_workspace(cast, post_feedback, other_key):
    acme = post_feedback(headers={"Idempotency-Key": "shared-key"})

    other = post_feedback(key=other_key, headers={"Idempotency-Key": "shared-key"})

    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other
    assert other.json()["id"] != acme.json()["id"]
    assert FeedbackItem.objects.get(pk=other.json()["id"]).workspace == cast.other_workspace
    assert FeedbackItem.objects.filter(workspace=cast.workspace).count() == 1


def test_idempotency_key_over_200_characters_is_400_problem(cast, post_feedback):
    response = post_feedback(headers={"Idempotency-Key": "k" * 201})

    body = assert_problem(response, 400)
    assert body["field"] == "Idempotency-Key"
    assert not FeedbackItem.objects.exists()


# --- Rate limit ---------------------------------------------------------------------------------
@pytest.fixture
def frozen_minute(monkeypatch):
    """Keeps the rate limiter's clock 10 seconds into a minute, so a test never straddles two windows."""
    import cxloop.core.ratelimit as ratelimit

    class Clock:
        @staticmethod
        def time():
            return 1_800_000_010.0

    monkeypatch.setattr(ratelimit, "time", Clock)


def test_fourth_call_in_a_minute_is_429_with_retry_after(settings, frozen_minute, api, acme_key):
    settings.API_RATE_LIMIT_PER_MINUTE = 3

    answers = [api("get", "/api/v1/feedback", key=acme_key) for _ in range(4)]

    assert [r.status_code for r in answers[:3]] == [200, 200, 200]
    body = assert_problem(answers[3], 429)
    assert body["type"].endswith("/rate-limited")
    assert answers[3]["Retry-After"] == "50"


def test_rate_limit_counts_each_key_on_its_own(cast, settings, frozen_minute, api, acme_key, make_key):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    for _ in range(4):
        api("get", "/api/v1/feedback", key=acme_key)

    response = api("get", "/api/v1/feedback", key=make_key(cast.workspace, ["read"]))

    assert response.status_code == 200


def test_rate_limited_write_stores_nothing(cast, settings, frozen_minute, api, acme_key, post_feedback):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        api("get", "/api/v1/feedback", key=acme_key)

    response = post_feedback()

    assert_problem(response, 429)
    assert not FeedbackItem.objects.exists()


# --- Workspace isolation ------------------------------------------------------------------------
@pytest.fixture
def acme_item(cast, post_feedback):
    """An Acme ticket with its customer, and the snapshot of Acme's store once it is in."""
    body = post_feedback().json()
    return body["id"], body["customer"]["id"], store_state(cast.workspace)


@pytest.mark.parametrize("method", ["get", "delete"])
def test_other_workspace_gets_404_for_an_acme_item(cast, api, other_key, acme_item, method):
    item_id, _, before = acme_item

    response = api(method, f"/api/v1/feedback/{item_id}", key=other_key)

    assert_problem(response, 404)
    assert store_state(cast.workspace) == before
    assert "feedback.erased" not in audit_actions(cast.workspace) + audit_actions(cast.other_workspace)


@pytest.mark.parametrize(
    "query",
    ["", "?channel=ticket", "?source=zendesk", "?q=parcel", "?has_text=true", "?since=2026-01-01T00:00:00Z"],
)
def test_other_workspace_list_never_contains_acme_items(cast, api, other_key, acme_item, query):
    own = api("post", "/api/v1/feedback", key=other_key, json=feedback_body(external_id="own-1")).json()

    response = api("get", f"/api/v1/feedback{query}", key=other_key)

    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == [own["id"]]


def test_other_workspace_filtering_by_an_acme_customer_finds_nothing(api, other_key, acme_item):
    _, customer_id, _ = acme_item

    response = api("get", f"/api/v1/feedback?customer={customer_id}", key=other_key)

    assert response.json()["items"] == []


def test_other_workspace_cursor_from_acme_pages_only_its_own_items(api, acme_key, other_key, many_items):
    acme_next = api("get", "/api/v1/feedback?limit=5", key=acme_key).json()["next"]

    response = api("get", f"/api/v1/feedback?cursor={acme_next}", key=other_key)

    assert response.json()["items"] == []


@pytest.mark.parametrize("route", ["/api/v1/feedback", "/api/v1/feedback/batch"])
def test_other_workspace_cannot_attach_feedback_to_an_acme_customer(cast, api, other_key, acme_item, route):
    _, customer_id, before = acme_item
    item = feedback_body(external_id="o-1", customer={"id": customer_id})
    payload = item if route == "/api/v1/feedback" else {"items": [item]}

    response = api("post", route, key=other_key, json=payload)

    body = assert_problem(response, 404)
    assert str(customer_id) in body["detail"]
    assert store_state(cast.workspace) == before
    assert not FeedbackItem.objects.filter(workspace=cast.other_workspace).exists()


@pytest.mark.parametrize("route", ["/api/v1/feedback", "/api/v1/feedback/batch"])
def test_other_workspace_reusing_an_acme_external_id_gets_its_own_item(
    cast, api, other_key, acme_item, route
):
    item_id, customer_id, before = acme_item
    payload = feedback_body() if route == "/api/v1/feedback" else {"items": [feedback_body()]}

    response = api("post", route, key=other_key, json=payload)

    assert response.status_code == 201
    stored = FeedbackItem.objects.get(workspace=cast.other_workspace)
    assert stored.pk != item_id
    assert (
        stored.customer.workspace == cast.other_workspace
    )  # same email, another workspace: another customer
    assert stored.customer_id != customer_id
    assert store_state(cast.workspace) == before
