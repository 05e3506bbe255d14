"""POST /api/v1/hooks/<token>: verified, stored raw, then mapped; dead letters are kept for a replay.

No API key: the token in the address picks the endpoint (and so the workspace), the signature proves the
sender knows the endpoint's secret.
"""

from __future__ import annotations

import copy
import json
import time

import pytest

from cxloop.customers.models import Customer, Event
from cxloop.feedback import webhooks
from cxloop.feedback.models import FeedbackItem, WebhookDelivery, WebhookEndpoint
from cxloop.feedback.presets import PRESETS

from .helpers import assert_problem

REVIEW = {
    "id": "r-1",
    "date": "2026-01-02T10:00:00Z",
    "rating": 4,
    "title": "Nice",
    "text": "Arrived on time.",
    "email": "anna@x.example",
    "author": "Anna",
}


def review(**changes) -> dict:
    body = dict(REVIEW, **changes)
    return {k: v for k, v in body.items() if v is not ...}


@pytest.fixture
def endpoint(cast) -> WebhookEndpoint:
    """An Acme endpoint with Standard Webhooks signatures and the generic reviews mapping."""
    return webhooks.endpoint_create(
        workspace=cast.workspace, name="Reviews", mapping=copy.deepcopy(PRESETS["generic_reviews"]["mapping"])
    )


@pytest.fixture
def send(client):
    """send(endpoint, payload, ...) -> response: a correctly signed Standard Webhooks request unless told."""
    counter = iter(range(1, 10_000))

    def _send(
        endpoint,
        payload=None,
        *,
        body: bytes | None = None,
        webhook_id: str | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
        signature: str | None = None,
        headers: dict | None = None,
        token: str | None = None,
    ):
        if body is None:
            body = json.dumps(payload).encode()
        webhook_id = webhook_id or f"msg_{next(counter)}"
        timestamp = int(time.time()) if timestamp is None else timestamp
        if headers is None:
            headers = {
                "webhook-id": webhook_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": signature
                or webhooks.sign(secret or endpoint.secret, webhook_id, timestamp, body),
            }
        return client.post(
            f"/api/v1/hooks/{token or endpoint.token}",
            data=body,
            content_type="application/json",
            headers=headers,
        )

    return _send


def accepted(response, status=202) -> dict:
    assert response.status_code == status, response.content[:500]
    return response.json()


def nothing_stored():
    assert not WebhookDelivery.objects.exists()
    assert not FeedbackItem.objects.exists()
    assert not Customer.objects.exists()


# --- A signed delivery --------------------------------------------------------------------------
def test_signed_delivery_is_202_and_stores_a_feedback_item(cast, endpoint, send):
    body = accepted(send(endpoint, review(), webhook_id="msg_abc"))

    item = FeedbackItem.objects.get()
    delivery = WebhookDelivery.objects.get()
    assert body == {"delivery_id": delivery.pk, "status": "stored", "duplicate": False, "error": ""}
    assert (delivery.workspace, delivery.endpoint, delivery.webhook_id) == (
        cast.workspace,
        endpoint,
        "msg_abc",
    )
    assert (delivery.status, delivery.attempts, delivery.feedback_item) == ("stored", 1, item)
    assert json.loads(delivery.body) == review()
    assert (item.workspace, item.external_id, item.source, item.channel) == (
        cast.workspace,
        "r-1",
        "Reviews",
        "review",
    )
    assert item.customer.email == "anna@x.example"
    assert list(item.answers.values_list("key", "value")) == [("rating", 4.0)]


def test_same_webhook_id_again_is_200_duplicate_and_stores_nothing_more(endpoint, send):
    first = accepted(send(endpoint, review(), webhook_id="msg_1"))

    again = accepted(send(endpoint, review(text="changed"), webhook_id="msg_1"), status=200)

    assert again == {"delivery_id": first["delivery_id"], "status": "stored", "duplicate": True, "error": ""}
    assert WebhookDelivery.objects.count() == 1
    assert FeedbackItem.objects.get().text == "Arrived on time."


def test_same_webhook_id_on_another_endpoint_is_a_new_delivery(cast, endpoint, send):
    other = webhooks.endpoint_create(workspace=cast.workspace, name="Second", mapping=endpoint.mapping)

    accepted(send(endpoint, review(id="a"), webhook_id="msg_1"))
    accepted(send(other, review(id="b"), webhook_id="msg_1"))

    assert WebhookDelivery.objects.count() == 2
    assert sorted(FeedbackItem.objects.values_list("external_id", flat=True)) == ["a", "b"]


def test_a_second_signature_in_the_header_may_be_the_valid_one(endpoint, send):
    """Standard Webhooks: a sender rotating its secret sends several signatures, space-separated."""
    body = json.dumps(review()).encode()
    ts = int(time.time())
    valid = webhooks.sign(endpoint.secret, "msg_1", ts, body)
    stale = webhooks.sign(webhooks.new_secret(), "msg_1", ts, body)

    accepted(send(endpoint, body=body, webhook_id="msg_1", timestamp=ts, signature=f"{stale} {valid}"))

    assert FeedbackItem.objects.count() == 1


def test_timestamp_within_five_minutes_is_accepted(endpoint, send):
    accepted(send(endpoint, review(), timestamp=int(time.time()) - 4 * 60))

    assert FeedbackItem.objects.count() == 1


# --- Refused before anything is stored ----------------------------------------------------------
def test_bad_signature_is_401_problem_and_stores_nothing(endpoint, send):
    response = send(endpoint, review(), secret=webhooks.new_secret())

    body = assert_problem(response, 401)
    assert body["detail"] == "webhook-signature does not match the body."
    nothing_stored()


def test_body_changed_after_signing_is_401(endpoint, send):
    ts = int(time.time())
    signature = webhooks.sign(endpoint.secret, "msg_1", ts, json.dumps(review()).encode())

    response = send(endpoint, review(rating=1), webhook_id="msg_1", timestamp=ts, signature=signature)

    assert_problem(response, 401)
    nothing_stored()


def test_signature_of_another_webhook_id_is_401(endpoint, send):
    body = json.dumps(review()).encode()
    ts = int(time.time())

    response = send(
        endpoint,
        body=body,
        webhook_id="msg_2",
        timestamp=ts,
        signature=webhooks.sign(endpoint.secret, "msg_1", ts, body),
    )

    assert_problem(response, 401)
    nothing_stored()


@pytest.mark.parametrize(
    "age", [5 * 60 + 30, 24 * 3600, -(5 * 60 + 30)], ids=["stale", "a-day-old", "future"]
)
def test_timestamp_more_than_five_minutes_away_is_refused_as_a_replay(endpoint, send, age):
    """A captured request, signature and all, cannot be sent again later."""
    response = send(endpoint, review(), timestamp=int(time.time()) - age)

    body = assert_problem(response, 401)
    assert "more than 5 minutes away from now: refused as a replay" in body["detail"]
    nothing_stored()


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_signature_header_is_401(endpoint, send, missing):
    body = json.dumps(review()).encode()
    ts = int(time.time())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(ts),
        "webhook-signature": webhooks.sign(endpoint.secret, "msg_1", ts, body),
    }
    del headers[missing]

    response = send(endpoint, body=body, headers=headers)

    detail = assert_problem(response, 401)["detail"]
    assert detail == "Missing webhook-id, webhook-timestamp or webhook-signature header."
    nothing_stored()


def test_timestamp_that_is_not_a_number_is_401(endpoint, send):
    body = json.dumps(review()).encode()
    headers = {"webhook-id": "m", "webhook-timestamp": "yesterday", "webhook-signature": "v1,AAAA"}

    response = send(endpoint, body=body, headers=headers)

    assert assert_problem(response, 401)["detail"] == "webhook-timestamp is not a Unix time in seconds."
    nothing_stored()


def test_unknown_token_is_404(endpoint, send):
    response = send(endpoint, review(), token="no-such-token")

    assert assert_problem(response, 404)["detail"] == "No active webhook endpoint at this address."
    nothing_stored()


def test_inactive_endpoint_is_404(endpoint, send):
    endpoint.is_active = False
    endpoint.save(update_fields=["is_active"])

    response = send(endpoint, review())

    assert_problem(response, 404)
    nothing_stored()


def test_payload_over_one_mebibyte_is_refused(endpoint, send):
    response = send(endpoint, review(text="x" * (1024 * 1024)))

    body = assert_problem(response, 413)
    assert body["detail"] == "Payload over 1,048,576 bytes."
    nothing_stored()


def test_no_api_key_is_needed_and_none_is_used(endpoint, send, cast, make_key):
    """A key of another workspace in the request changes nothing: the token picks the workspace."""
    headers_key = make_key(cast.other_workspace)
    body = json.dumps(review()).encode()
    ts = int(time.time())
    headers = {
        "webhook-id": "m1",
        "webhook-timestamp": str(ts),
        "webhook-signature": webhooks.sign(endpoint.secret, "m1", ts, body),
        "Authorization": f"Bearer {headers_key}",
    }

    accepted(send(endpoint, body=body, headers=headers))

    assert FeedbackItem.objects.get().workspace == cast.workspace


def test_token_selects_the_workspace_and_another_workspaces_secret_does_not_verify(cast, send):
    """Each workspace's endpoint stores into that workspace only; knowing one endpoint's secret (Other Co's)
    does not let a sender post into another's (Acme's)."""
    mapping = copy.deepcopy(PRESETS["generic_reviews"]["mapping"])
    acme = webhooks.endpoint_create(workspace=cast.workspace, name="Acme reviews", mapping=mapping)
    other = webhooks.endpoint_create(workspace=cast.other_workspace, name="Other reviews", mapping=mapping)

    refused = send(acme, review(), secret=other.secret)
    accepted(send(other, review()))

    assert_problem(refused, 401)
    assert not FeedbackItem.objects.filter(workspace=cast.workspace).exists()
    assert not WebhookDelivery.objects.filter(workspace=cast.workspace).exists()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.workspace, delivery.endpoint) == (cast.other_workspace, other)
    assert FeedbackItem.objects.get().workspace == cast.other_workspace


# --- Shared-secret verification -----------------------------------------------------------------
@pytest.fixture
def shared(cast) -> WebhookEndpoint:
    return webhooks.endpoint_create(
        workspace=cast.workspace,
        name="Shop",
        mapping=copy.deepcopy(PRESETS["generic_reviews"]["mapping"]),
        verification="shared_secret",
    )


def test_shared_secret_in_its_header_is_accepted(shared, send):
    assert shared.secret_header == "X-Webhook-Secret"

    accepted(send(shared, review(), headers={"X-Webhook-Secret": shared.secret}))

    assert FeedbackItem.objects.count() == 1


@pytest.mark.parametrize("given", ["wrong", "", None])
def test_wrong_or_missing_shared_secret_is_401(shared, send, given):
    headers = {} if given is None else {"X-Webhook-Secret": given}

    response = send(shared, review(), headers=headers)

    assert assert_problem(response, 401)["detail"] == "The X-Webhook-Secret header is missing or wrong."
    nothing_stored()


def test_shared_secret_in_a_header_of_the_endpoints_choosing(cast, send):
    endpoint = webhooks.endpoint_create(
        workspace=cast.workspace,
        name="Shop",
        mapping=copy.deepcopy(PRESETS["generic_reviews"]["mapping"]),
        verification="shared_secret",
        secret_header="X-Shop-Token",
    )

    wrong_header = send(endpoint, review(), headers={"X-Webhook-Secret": endpoint.secret})
    right_header = send(endpoint, review(), headers={"X-Shop-Token": endpoint.secret})

    assert_problem(wrong_header, 401)
    accepted(right_header)
    assert FeedbackItem.objects.count() == 1


def test_shared_secret_deliveries_are_deduplicated_by_webhook_id(shared, send):
    headers = {"X-Webhook-Secret": shared.secret, "webhook-id": "evt_1"}

    accepted(send(shared, review(), headers=headers))
    again = accepted(send(shared, review(), headers=headers), status=200)

    assert again["duplicate"] is True
    assert WebhookDelivery.objects.count() == 1


# --- Dead letters -------------------------------------------------------------------------------
def test_payload_that_fails_mapping_is_kept_as_a_dead_letter(cast, endpoint, send):
    payload = review(date=..., created="2026-01-02T10:00:00Z")

    body = accepted(send(endpoint, payload))

    delivery = WebhookDelivery.objects.get()
    assert body == {
        "delivery_id": delivery.pk,
        "status": "failed",
        "duplicate": False,
        "error": "occurred_at: Field required",
    }
    assert (delivery.status, delivery.error, delivery.attempts) == (
        "failed",
        "occurred_at: Field required",
        1,
    )
    assert json.loads(delivery.body) == payload  # the raw payload, for a replay
    assert not FeedbackItem.objects.exists()
    assert not Customer.objects.exists()


def test_fixing_the_mapping_and_replaying_stores_the_dead_letter(cast, endpoint, send, login):
    accepted(send(endpoint, review(date=..., created="2026-01-02T10:00:00Z")))
    delivery = WebhookDelivery.objects.get()
    mapping = copy.deepcopy(endpoint.mapping)
    mapping["fields"]["occurred_at"] = "created"
    webhooks.endpoint_update_mapping(workspace=cast.workspace, endpoint_id=endpoint.pk, mapping=mapping)

    response = login(cast.owner).post(f"/settings/webhooks/deliveries/{delivery.pk}/replay/", follow=True)

    assert response.redirect_chain == [(f"/settings/webhooks/{endpoint.pk}/", 302)]
    assert f"Delivery {delivery.pk} replayed: stored." in response.content.decode()
    delivery.refresh_from_db()
    item = FeedbackItem.objects.get()
    assert (delivery.status, delivery.error, delivery.attempts, delivery.feedback_item) == (
        "stored",
        "",
        2,
        item,
    )
    assert item.external_id == "r-1"
    assert item.workspace == cast.workspace


def test_replay_that_fails_again_says_why(cast, endpoint, send, login):
    accepted(send(endpoint, review(date=...)))
    delivery = WebhookDelivery.objects.get()

    response = login(cast.owner).post(f"/settings/webhooks/deliveries/{delivery.pk}/replay/", follow=True)

    assert "Replay failed again: occurred_at: Field required" in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert not FeedbackItem.objects.exists()


def test_a_stored_delivery_is_not_replayed(cast, endpoint, send, login):
    accepted(send(endpoint, review()))
    delivery = WebhookDelivery.objects.get()

    response = login(cast.owner).post(f"/settings/webhooks/deliveries/{delivery.pk}/replay/", follow=True)

    assert "This delivery was stored already." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert FeedbackItem.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json at all", "Body is not JSON: Expecting value: line 1 column 1 (char 0)"),
        (b'{"id": "r-1",', "Body is not JSON: Expecting property name enclosed in double quotes"),
        (b"[" * 50_000 + b"]" * 50_000, "Body is not JSON: nested too deeply"),
        (b'{"rating": ' + b"9" * 5000 + b"}", "Body is not JSON: Exceeds the limit (4300 digits)"),
    ],
    ids=["text", "truncated", "deeply-nested", "huge-integer"],
)
def test_body_that_is_not_json_is_a_dead_letter(endpoint, send, body, error):
    result = accepted(send(endpoint, body=body))

    delivery = WebhookDelivery.objects.get()
    assert result["status"] == delivery.status == "failed"
    assert delivery.error.startswith(error)
    assert result["error"] == delivery.error
    assert delivery.body == body.decode()  # kept whole, for a replay after the sender is fixed
    assert not FeedbackItem.objects.exists()


def test_raw_nul_in_the_body_is_kept_as_a_replacement_character(endpoint, send):
    """PostgreSQL text holds no NUL; the body is kept (and mapped) with U+FFFD in its place."""
    body = json.dumps(review(text="broken box")).encode().replace(b"broken box", b"broken\x00box")

    result = accepted(send(endpoint, body=body))

    assert result["status"] == "stored"
    assert "broken\ufffdbox" in WebhookDelivery.objects.get().body
    assert FeedbackItem.objects.get().text == "broken\ufffdbox"


def test_body_that_is_not_utf8_is_kept_with_replacement_characters(endpoint, send):
    accepted(send(endpoint, body=b'{"text": "caf\xe9"'))

    assert WebhookDelivery.objects.get().body == '{"text": "caf\ufffd"'


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"rating": 10**400}, "answers.0: Value error, rating value needs a number, got one too large"),
        ({"rating": 9}, "answers.0: Value error, rating value 9 is outside its scale 1–5"),
        (
            {"date": "2999-01-01T00:00:00Z"},
            "occurred_at: Value error, occurred_at 2999-01-01T00:00:00+00:00 is in the future",
        ),
        ({"email": "not-an-email"}, "customer.email: Value error, 'not-an-email' is not an email address"),
    ],
)
def test_bad_value_in_the_payload_is_a_dead_letter_naming_the_field(endpoint, send, changes, error):
    result = accepted(send(endpoint, review(**changes)))

    assert (result["status"], result["error"]) == ("failed", error)
    assert not FeedbackItem.objects.exists()


def test_customer_id_that_is_not_in_the_workspace_is_a_dead_letter(cast, endpoint, send):
    """A mapping may name CX Loop's own customer id: one of another workspace, or beyond any id, is refused
    without touching that customer."""
    stranger = Customer.objects.create(workspace=cast.other_workspace, name="Stranger")
    mapping = copy.deepcopy(endpoint.mapping)
    mapping["fields"]["customer.id"] = "customer_id"
    webhooks.endpoint_update_mapping(workspace=cast.workspace, endpoint_id=endpoint.pk, mapping=mapping)

    foreign = accepted(send(endpoint, review(customer_id=stranger.pk)))
    huge = accepted(send(endpoint, review(customer_id=10**30)))

    assert (foreign["status"], foreign["error"]) == (
        "failed",
        f"No customer with id {stranger.pk} in this workspace.",
    )
    assert huge["status"] == "failed"
    assert huge["error"].startswith("customer.id: Input should be less than or equal to")
    assert not FeedbackItem.objects.exists()
    assert not stranger.feedback_items.exists()


def test_nul_and_lone_surrogates_in_json_strings_are_stored_without_them(endpoint, send):
    """JSON may escape characters that no database column holds (PostgreSQL refuses NUL in text)."""
    body = json.dumps(review(text="broken\u0000 box \ud800!", title="\u0000x")).encode()

    result = accepted(send(endpoint, body=body))

    assert result["status"] == "stored"
    item = FeedbackItem.objects.get()
    assert (item.text, item.title) == ("broken box \ufffd!", "x")


# --- Several records, events --------------------------------------------------------------------
def test_json_list_payload_maps_every_record(endpoint, send):
    result = accepted(send(endpoint, [review(id="a"), review(id="b", email="b@x.example"), review(id="c")]))

    delivery = WebhookDelivery.objects.get()
    assert result["status"] == "stored"
    assert sorted(FeedbackItem.objects.values_list("external_id", flat=True)) == ["a", "b", "c"]
    assert delivery.feedback_item.external_id == "a"
    assert Customer.objects.count() == 2


def test_list_with_a_bad_record_stores_none_of_it_and_names_the_record(endpoint, send):
    """All or nothing: the raw list waits as one dead letter, and the error says which record is wrong."""
    result = accepted(send(endpoint, [review(id="a"), review(id="b"), review(id="c", date=...)]))

    assert (result["status"], result["error"]) == ("failed", "[2].occurred_at: Field required")
    assert not FeedbackItem.objects.exists()


def test_empty_list_payload_is_skipped(endpoint, send):
    result = accepted(send(endpoint, []))

    assert result["status"] == "skipped"
    assert not FeedbackItem.objects.exists()


def test_records_skipped_by_skip_empty_store_nothing(cast, send):
    mapping = copy.deepcopy(PRESETS["generic_reviews"]["mapping"])
    mapping["skip_empty"] = ["text", "title"]
    endpoint = webhooks.endpoint_create(workspace=cast.workspace, name="Reviews", mapping=mapping)

    result = accepted(send(endpoint, review(text="", title="")))

    assert result["status"] == WebhookDelivery.objects.get().status == "skipped"
    assert not FeedbackItem.objects.exists()


def test_a_resent_item_with_a_new_webhook_id_is_not_stored_twice(endpoint, send):
    """The (source, external_id) key catches what the webhook-id cannot: the same item in a new message."""
    accepted(send(endpoint, review(), webhook_id="msg_1"))
    again = accepted(send(endpoint, review(), webhook_id="msg_2"))

    assert again["status"] == "stored"
    assert WebhookDelivery.objects.count() == 2
    assert FeedbackItem.objects.count() == 1


EVENT_MAPPING = {
    "kind": "event",
    "fields": {
        "name": "type",
        "occurred_at": "at",
        "external_id": "id",
        "source": {"const": "Shop"},
        "customer.email": "customer.email",
    },
    "metadata": {"order": "order.number", "total": "order.total"},
}


def test_event_mapping_creates_customer_events(cast, send):
    endpoint = webhooks.endpoint_create(workspace=cast.workspace, name="Shop events", mapping=EVENT_MAPPING)
    payload = [
        {
            "id": "e1",
            "type": "order_placed",
            "at": "2026-01-02T10:00:00Z",
            "customer": {"email": "anna@x.example"},
            "order": {"number": "A-1", "total": 49.9},
        },
        {
            "id": "e2",
            "type": "order_delivered",
            "at": "2026-01-04T10:00:00Z",
            "customer": {"email": "anna@x.example"},
            "order": {"number": "A-1"},
        },
    ]

    result = accepted(send(endpoint, payload))

    assert result["status"] == "stored"
    events = list(Event.objects.order_by("occurred_at"))
    assert [(e.name, e.external_id, e.source, e.workspace) for e in events] == [
        ("order_placed", "e1", "Shop", cast.workspace),
        ("order_delivered", "e2", "Shop", cast.workspace),
    ]
    assert events[0].properties == {"order": "A-1", "total": 49.9}
    assert events[0].customer == events[1].customer == Customer.objects.get(email="anna@x.example")
    assert WebhookDelivery.objects.get().event == events[0]
    assert not FeedbackItem.objects.exists()


# --- The service, for what the HTTP layer cannot show ---------------------------------------------
def test_endpoint_create_refuses_a_bad_mapping_naming_the_field(cast):
    from cxloop.core.exceptions import ServiceError

    with pytest.raises(ServiceError) as refused:
        webhooks.endpoint_create(workspace=cast.workspace, name="X", mapping={"fields": {"rating": "r"}})

    assert refused.value.field == "mapping"
    assert refused.value.message.startswith("Mapping: unknown feedback field 'rating'")
    assert not WebhookEndpoint.objects.exists()


def test_endpoint_update_mapping_of_another_workspace_is_not_found(cast, endpoint):
    from cxloop.core.exceptions import NotFound

    with pytest.raises(NotFound):
        webhooks.endpoint_update_mapping(
            workspace=cast.other_workspace, endpoint_id=endpoint.pk, mapping=EVENT_MAPPING
        )

    endpoint.refresh_from_db()
    assert endpoint.mapping == PRESETS["generic_reviews"]["mapping"]


def test_each_endpoint_gets_its_own_token_and_secret(cast, endpoint):
    second = webhooks.endpoint_create(workspace=cast.workspace, name="Second", mapping=endpoint.mapping)

    assert endpoint.token != second.token and len(endpoint.token) >= 32
    assert endpoint.secret != second.secret and endpoint.secret.startswith("whsec_")
