"""Bad input to POST /api/v1/feedback: every refusal says what is wrong and where, and stores nothing."""

from __future__ import annotations

import pytest

from cxloop.customers.models import Customer
from cxloop.feedback.models import FeedbackItem

from .helpers import assert_problem, feedback_body

URL = "/api/v1/feedback"


@pytest.fixture(autouse=True)
def _nothing_stored(db):
    """Whatever a test here sends, the store stays empty."""
    yield
    assert not FeedbackItem.objects.exists()
    assert not Customer.objects.exists()


def _only_error(response) -> dict:
    body = assert_problem(response, 422)
    assert len(body["errors"]) == 1, body["errors"]
    return body["errors"][0]


# --- Not JSON at all ----------------------------------------------------------------------------
def test_malformed_json_is_400_problem_with_line_and_column(api, acme_key):
    response = api(
        "post", URL, key=acme_key, data='{"channel": "ticket",\n  "text": }', content_type="application/json"
    )

    body = assert_problem(response, 400)
    assert body["type"].endswith("malformed-json")
    assert "line 2 column" in body["detail"]


def test_body_over_10_mib_is_413_problem(api, acme_key):
    response = api("post", URL, key=acme_key, json=feedback_body(text="x" * (10 * 1024 * 1024 + 1)))

    body = assert_problem(response, 413)
    assert body["type"].endswith("/body-too-large")
    assert "10,485,760 bytes" in body["detail"]


# --- Answers ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"key": "nps", "type": "nps", "value": "abc"}, "nps value needs a number, got 'abc'"),
        ({"key": "nps", "type": "nps", "value": None}, "nps value needs a number"),
        ({"key": "nps", "type": "nps", "value": True}, "nps value needs a number"),
        ({"key": "nps", "type": "nps", "value": 7.5}, "must be a whole number"),
        ({"key": "nps", "type": "nps", "value": 11}, "nps value 11 is outside its scale 0–10"),
        ({"key": "nps", "type": "nps", "value": -1}, "nps value -1 is outside its scale 0–10"),
        ({"key": "nps", "type": "nps", "value": 5, "scale": [1, 5]}, "nps scale 1–5 is not supported"),
        ({"key": "csat", "type": "csat", "value": 0}, "csat value 0 is outside its scale 1–5"),
        ({"key": "ces", "type": "ces", "value": 8}, "ces value 8 is outside its scale 1–7"),
        (
            {"key": "r", "type": "rating", "value": 3, "scale": [1, 20]},
            "rating scale 1–20 must start at 0 or 1",
        ),
        ({"key": "r", "type": "rating", "value": 6}, "rating value 6 is outside its scale 1–5"),
        ({"key": "n", "type": "number", "value": "NaN"}, "number value needs a number"),
        ({"key": "t", "type": "text", "value": 42}, "text value must be a string"),
        ({"key": "c", "type": "choice", "value": "  "}, "choice value must be a non-empty string"),
        ({"key": "m", "type": "multi_choice", "value": "a"}, "multi_choice value must be a list"),
        ({"key": "y", "type": "yes_no", "value": "maybe"}, "yes_no value must be true/false or yes/no"),
        ({"key": "d", "type": "date", "value": "31/01/2026"}, "date value '31/01/2026' is not an ISO date"),
    ],
)
def test_invalid_answer_value_is_422_naming_the_answer(api, acme_key, answer, message):
    response = api(
        "post",
        URL,
        key=acme_key,
        json=feedback_body(answers=[{"key": "ok", "type": "nps", "value": 1}, answer]),
    )

    error = _only_error(response)
    assert error["loc"] == ["body", "answers", "1"]
    assert message in error["msg"]
    assert response.json()["detail"].startswith("body.answers.1:")


def test_unknown_answer_type_is_422_naming_its_type_field(api, acme_key):
    response = api(
        "post", URL, key=acme_key, json=feedback_body(answers=[{"key": "nps", "type": "stars", "value": 3}])
    )

    error = _only_error(response)
    assert error["loc"] == ["body", "answers", "0", "type"]
    assert "'nps'" in error["msg"]  # the allowed types are listed


@pytest.mark.parametrize("key", ["", "has space", "ü", "k" * 101])
def test_malformed_answer_key_is_422_naming_the_key(api, acme_key, key):
    response = api(
        "post", URL, key=acme_key, json=feedback_body(answers=[{"key": key, "type": "nps", "value": 3}])
    )

    assert _only_error(response)["loc"] == ["body", "answers", "0", "key"]


def test_duplicate_answer_keys_in_one_item_are_422_naming_the_key(api, acme_key):
    answers = [{"key": "nps", "type": "nps", "value": 3}, {"key": "nps", "type": "nps", "value": 4}]

    response = api("post", URL, key=acme_key, json=feedback_body(answers=answers))

    error = _only_error(response)
    assert error["loc"] == ["body"]
    assert "answer keys must be unique within an item; repeated: nps" in error["msg"]


def test_more_than_200_answers_are_422(api, acme_key):
    answers = [{"key": f"q{i}", "type": "number", "value": i} for i in range(201)]

    response = api("post", URL, key=acme_key, json=feedback_body(answers=answers))

    assert _only_error(response)["loc"] == ["body", "answers"]


# --- Dates --------------------------------------------------------------------------------------
def test_occurred_at_in_the_future_is_422_naming_occurred_at(api, acme_key):
    response = api("post", URL, key=acme_key, json=feedback_body(occurred_at="2099-01-01T00:00:00Z"))

    error = _only_error(response)
    assert error["loc"] == ["body", "occurred_at"]
    assert "occurred_at 2099-01-01T00:00:00+00:00 is in the future" in error["msg"]


def test_occurred_at_before_1990_is_422(api, acme_key):
    response = api("post", URL, key=acme_key, json=feedback_body(occurred_at="1989-12-31T23:00:00Z"))

    error = _only_error(response)
    assert error["loc"] == ["body", "occurred_at"]
    assert "before 1990" in error["msg"]


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "2026-02-30", "", 12.5e20, None])
def test_unparseable_occurred_at_is_422_naming_occurred_at(api, acme_key, value):
    response = api("post", URL, key=acme_key, json=feedback_body(occurred_at=value))

    assert _only_error(response)["loc"] == ["body", "occurred_at"]


def test_missing_occurred_at_is_422_naming_occurred_at(api, acme_key):
    response = api("post", URL, key=acme_key, json=feedback_body(occurred_at=...))

    error = _only_error(response)
    assert error["loc"] == ["body", "occurred_at"]
    assert error["type"] == "missing"


def test_customer_signup_in_the_future_is_422_naming_it(api, acme_key):
    customer = {"email": "a@b.c", "signup_at": "2099-01-01T00:00:00Z"}

    response = api("post", URL, key=acme_key, json=feedback_body(customer=customer))

    assert _only_error(response)["loc"] == ["body", "customer", "signup_at"]


# --- Text and fields ----------------------------------------------------------------------------
def test_text_of_200000_characters_is_422_naming_text(api, acme_key):
    response = api("post", URL, key=acme_key, json=feedback_body(text="x" * 200_000))

    error = _only_error(response)
    assert error["loc"] == ["body", "text"]
    assert "text has 200,000 characters; the limit is 100,000" in error["msg"]


def test_text_of_exactly_100000_characters_is_accepted(cast, api, acme_key):
    response = api("post", URL, key=acme_key, json=feedback_body(text="x" * 100_000, customer=...))

    assert response.status_code == 201
    FeedbackItem.objects.all().delete()  # the autouse check wants an empty store


def test_text_answer_over_100000_characters_is_422(api, acme_key):
    answers = [{"key": "comment", "type": "text", "value": "x" * 100_001}]

    response = api("post", URL, key=acme_key, json=feedback_body(answers=answers))

    error = _only_error(response)
    assert error["loc"] == ["body", "answers", "0"]
    assert "100,001 characters" in error["msg"]


def test_unknown_channel_is_422_naming_channel(api, acme_key):
    response = api("post", URL, key=acme_key, json=feedback_body(channel="carrier_pigeon"))

    error = _only_error(response)
    assert error["loc"] == ["body", "channel"]
    assert "'ticket'" in error["msg"]


def test_missing_channel_is_422_naming_channel(api, acme_key):
    response = api("post", URL, key=acme_key, json=feedback_body(channel=...))

    assert _only_error(response)["loc"] == ["body", "channel"]


@pytest.mark.parametrize("email", ["not-an-email", "@b.c", "a@", "a b@c.d"])
def test_invalid_customer_email_is_422_naming_customer_email(api, acme_key, email):
    response = api("post", URL, key=acme_key, json=feedback_body(customer={"email": email}))

    error = _only_error(response)
    assert error["loc"] == ["body", "customer", "email"]
    assert "is not an email address" in error["msg"]


def test_invalid_customer_phone_is_422_naming_customer_phone(api, acme_key):
    response = api("post", URL, key=acme_key, json=feedback_body(customer={"phone": "call me"}))

    assert _only_error(response)["loc"] == ["body", "customer", "phone"]


def test_metadata_with_more_than_100_keys_is_422_naming_metadata(api, acme_key):
    metadata = {f"k{i}": i for i in range(101)}

    response = api("post", URL, key=acme_key, json=feedback_body(metadata=metadata))

    error = _only_error(response)
    assert error["loc"] == ["body", "metadata"]
    assert "metadata has 101 keys; at most 100" in error["msg"]


def test_language_that_is_not_a_code_is_422_naming_language(api, acme_key):
    response = api("post", URL, key=acme_key, json=feedback_body(language="English please"))

    assert _only_error(response)["loc"] == ["body", "language"]


def test_external_id_over_200_characters_is_422_naming_it(api, acme_key):
    response = api("post", URL, key=acme_key, json=feedback_body(external_id="x" * 201))

    assert _only_error(response)["loc"] == ["body", "external_id"]


def test_body_that_is_a_list_is_422(api, acme_key):
    response = api("post", URL, key=acme_key, json=[feedback_body()])

    assert_problem(response, 422)


# --- Keys ---------------------------------------------------------------------------------------
def test_read_only_key_may_not_post_feedback(cast, api, make_key):
    response = api("post", URL, key=make_key(cast.workspace, ["read"]), json=feedback_body())

    body = assert_problem(response, 403)
    assert body["type"].endswith("/insufficient-scope")
    assert "'write'" in body["detail"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_no_key_is_401_problem(api, method, db):
    response = api(method, URL, json=feedback_body() if method == "post" else None)

    body = assert_problem(response, 401)
    assert body["type"].endswith("/unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_key_is_401_problem(api, db):
    response = api("post", URL, key="cxl_not-a-real-key", json=feedback_body())

    assert_problem(response, 401)
