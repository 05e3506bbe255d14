"""Field mappings: a wrong mapping is refused naming the field; a record maps to a checked item or to errors
that say where each problem is."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from cxloop.customers.schemas import EventIn
from cxloop.feedback.mapping import MappingError, RecordError, lookup, map_record, validate_mapping
from cxloop.feedback.presets import PRESETS
from cxloop.feedback.schemas import FeedbackIn

REVIEWS = PRESETS["generic_reviews"]["mapping"]
ZENDESK = PRESETS["zendesk_tickets"]["mapping"]

NESTED = {
    "kind": "feedback",
    "fields": {
        "external_id": "ticket.id",
        "channel": {"const": "ticket"},
        "source": {"const": "Helpdesk"},
        "occurred_at": "ticket.created_at",
        "text": "ticket.comments.0.body",
        "customer.email": "ticket.requester.emails.1.address",
        "customer.external_id": "ticket.requester.id",
    },
    "answers": [{"key": "nps", "type": "nps", "value": "survey.score"}],
    "metadata": {"priority": "ticket.priority", "via": {"const": "webhook"}, "tags": "ticket.tags"},
}

TICKET = {
    "ticket": {
        "id": 4711,
        "created_at": "2026-01-02T10:00:00Z",
        "priority": "high",
        "tags": ["late", "broken"],
        "comments": [{"body": "The parcel arrived broken."}, {"body": "Still waiting."}],
        "requester": {"id": 99, "emails": [{"address": "old@x.example"}, {"address": "Anna@X.example"}]},
    },
    "survey": {"score": "3"},
}


def mapping(**changes) -> dict:
    """A copy of the generic reviews preset with top-level keys replaced (... removes one)."""
    spec = copy.deepcopy(REVIEWS)
    for key, value in changes.items():
        if value is ...:
            spec.pop(key, None)
        else:
            spec[key] = value
    return spec


def fields(**changes) -> dict:
    out = copy.deepcopy(REVIEWS["fields"])
    for key, value in changes.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def review(**changes) -> dict:
    row = {
        "id": "r-1",
        "date": "2026-01-02T10:00:00Z",
        "rating": "4",
        "title": "Nice",
        "text": "Arrived on time.",
        "email": "anna@x.example",
        "author": "Anna",
    }
    row.update(changes)
    return row


def review_without(*names) -> dict:
    row = review()
    for name in names:
        row.pop(name)
    return row


# --- validate_mapping -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_a_valid_mapping(name):
    assert validate_mapping(PRESETS[name]["mapping"]) is PRESETS[name]["mapping"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (["not", "an", "object"], "a mapping is a JSON object"),
        (mapping(kind="survey"), "kind must be 'feedback' or 'event'"),
        (mapping(fields=...), "fields must be an object of target field -> source path"),
        (mapping(fields={}), "fields must be an object"),
        (mapping(fields=fields(rating="rating")), "unknown feedback field 'rating'; known: channel,"),
        (mapping(fields=fields(customer_email="email")), "unknown feedback field 'customer_email'"),
        (
            mapping(fields=fields(**{"customer.shoe_size": "size"})),
            "unknown customer field 'customer.shoe_size'",
        ),
        (mapping(fields=fields(text=5)), "source of 'text' must be a path or {'const': value}"),
        (mapping(fields=fields(text="")), "source of 'text' must be a path"),
        (mapping(fields=fields(text={"path": "body"})), "source of 'text' must be a path"),
        (mapping(fields=fields(title=["a", "b"])), "source of 'title' must be a path"),
        (mapping(answers={"key": "nps"}), "answers must be a list"),
        (mapping(answers=[{"key": "nps", "type": "nps"}]), "answers[0] needs key, type and value"),
        (
            mapping(answers=[REVIEWS["answers"][0], {"key": "s", "type": "stars", "value": "s"}]),
            "answers[1].type 'stars' is not one of nps, csat,",
        ),
        (mapping(answers=[{"key": "nps", "type": "nps", "value": 5}]), "answers[0].value must be a path"),
        (mapping(answers=[{"key": "nps", "type": "nps", "value": ""}]), "answers[0].value must be a path"),
        (
            mapping(answers=[{"key": "nps", "type": "nps", "value": "score", "map": ["good", 5]}]),
            "answers[0].map must be an object",
        ),
        (mapping(metadata=["priority"]), "metadata must be an object of name -> source path"),
        (mapping(metadata={"priority": 3}), "source of metadata 'priority' must be a path"),
        (mapping(skip_empty="text"), "skip_empty must be a list of target fields"),
        (mapping(skip_empty=["txt"]), "skip_empty names 'txt', which is not one of the mapped fields"),
        (
            {"kind": "event", "fields": {"name": "type", "text": "body"}},
            "unknown event field 'text'; known: external_id, name, occurred_at, source",
        ),
        (
            {
                "kind": "event",
                "fields": {"name": "type", "occurred_at": "at"},
                "answers": [{"key": "nps", "type": "nps", "value": "s"}],
            },
            "an event mapping has no answers",
        ),
    ],
)
def test_wrong_mapping_is_refused_naming_the_field(spec, message):
    with pytest.raises(MappingError) as refused:
        validate_mapping(spec)

    assert message in str(refused.value)


def test_skip_empty_may_name_a_customer_field():
    spec = mapping(skip_empty=["text", "customer.email"])

    assert validate_mapping(spec) is spec


# --- lookup ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("ticket.comments.0.body", "The parcel arrived broken."),
        ("ticket.comments.1.body", "Still waiting."),
        ("ticket.requester.emails.1.address", "Anna@X.example"),
        ("ticket.id", 4711),
    ],
)
def test_lookup_follows_dotted_paths_with_list_indices(path, expected):
    assert lookup(TICKET, path) == expected


@pytest.mark.parametrize(
    "path",
    ["ticket.comments.5.body", "ticket.comments.first.body", "ticket.id.x", "nothing", "survey.score.0"],
)
def test_lookup_of_a_path_that_matches_nothing_gives_no_value(path):
    spec = {"fields": {"channel": {"const": "ticket"}, "occurred_at": "ticket.created_at", "text": path}}

    assert map_record(spec, TICKET).text == ""


def test_a_column_named_with_dots_wins_over_a_path():
    assert lookup({"a.b": "column", "a": {"b": "nested"}}, "a.b") == "column"


# --- map_record -----------------------------------------------------------------------------------
def test_nested_json_maps_to_a_checked_feedback_item():
    item = map_record(NESTED, TICKET)

    assert isinstance(item, FeedbackIn)
    assert item.external_id == "4711"  # ids become text
    assert item.channel == "ticket"
    assert item.source == "Helpdesk"
    assert item.occurred_at == datetime(2026, 1, 2, 10, tzinfo=UTC)
    assert item.text == "The parcel arrived broken."
    assert item.customer.email == "anna@x.example"
    assert item.customer.external_id == "99"
    assert [(a.key, a.type, a.normalized["value"]) for a in item.answers] == [("nps", "nps", 3.0)]
    assert item.metadata == {"priority": "high", "via": "webhook", "tags": ["late", "broken"]}


def test_generic_reviews_preset_maps_a_csv_row():
    item = map_record(REVIEWS, review())

    assert (item.external_id, item.channel, item.source) == ("r-1", "review", "Reviews")
    assert (item.title, item.text) == ("Nice", "Arrived on time.")
    assert (item.customer.email, item.customer.name) == ("anna@x.example", "Anna")
    assert item.answers[0].normalized["value"] == 4.0
    assert (item.answers[0].normalized["scale_min"], item.answers[0].normalized["scale_max"]) == (1, 5)


def test_empty_cells_give_no_value():
    item = map_record(REVIEWS, review(title="   ", email="", author=None))

    assert item.title == ""
    assert item.customer is None  # no customer field had a value


def test_const_values_are_used_as_they_are():
    item = map_record(mapping(fields=fields(text={"const": "fixed text"})), review(text="ignored"))

    assert item.text == "fixed text"


def test_numeric_customer_fields_become_text():
    spec = mapping(fields=fields(**{"customer.external_id": "customer_id", "customer.phone": "phone"}))

    item = map_record(spec, review(customer_id=12345, phone=4930123456))

    assert item.customer.external_id == "12345"
    assert item.customer.phone == "4930123456"


@pytest.mark.parametrize(
    ("satisfaction", "expected"),
    [("good", [5.0]), ("bad", [1.0]), ("GOOD", [5.0]), (" bad ", [1.0]), ("offered", []), ("unoffered", [])],
)
def test_zendesk_satisfaction_is_translated_through_the_answer_map(satisfaction, expected):
    ticket = {
        "id": "z-1",
        "created_at": "2026-01-02T10:00:00Z",
        "subject": "Broken",
        "description": "It broke.",
        "requester_email": "anna@x.example",
        "satisfaction_rating": satisfaction,
        "status": "solved",
        "priority": "",
    }

    item = map_record(ZENDESK, ticket)

    assert [a.normalized["value"] for a in item.answers] == expected
    assert item.metadata == {"status": "solved"}  # an empty cell leaves the metadata key out
    assert (item.channel, item.source, item.touchpoint) == ("ticket", "Zendesk", "support")


def test_a_value_the_answer_map_does_not_know_is_checked_as_it_is():
    with pytest.raises(RecordError) as refused:
        map_record(ZENDESK, {"id": "z", "created_at": "2026-01-02", "satisfaction_rating": "meh"})

    assert refused.value.errors == [("answers.0", "Value error, csat value needs a number, got 'meh'")]


def test_bad_values_are_listed_with_their_locations():
    with pytest.raises(RecordError) as refused:
        map_record(REVIEWS, {**review_without("date"), "rating": "11", "email": "not-an-email"})

    locations = dict(refused.value.errors)
    assert set(locations) == {"occurred_at", "answers.0", "customer.email"}
    assert locations["occurred_at"] == "Field required"
    assert "rating value 11 is outside its scale 1–5" in locations["answers.0"]
    assert "'not-an-email' is not an email address" in locations["customer.email"]
    message = str(refused.value)
    assert "occurred_at: Field required" in message
    assert "answers.0: Value error, rating value 11 is outside its scale 1–5" in message


@pytest.mark.parametrize(
    ("row", "location", "message"),
    [
        (review(date="2999-01-01T00:00:00Z"), "occurred_at", "is in the future"),
        (review(date="last tuesday"), "occurred_at", "valid datetime"),
        (review(rating="four"), "answers.0", "rating value needs a number, got 'four'"),
        (review(rating="4.5"), "answers.0", "must be a whole number"),
        (review(rating=10**400), "answers.0", "rating value needs a number, got one too large"),
        (review(id="x" * 201), "external_id", "at most 200 characters"),
    ],
)
def test_one_bad_value_is_reported_at_its_location(row, location, message):
    with pytest.raises(RecordError) as refused:
        map_record(REVIEWS, row)

    ((where, what),) = refused.value.errors
    assert where == location
    assert message in what


def test_a_record_that_is_not_an_object_is_missing_every_required_field():
    with pytest.raises(RecordError) as refused:
        map_record(REVIEWS, ["r-1", "2026-01-02"])

    assert ("occurred_at", "Field required") in refused.value.errors


def test_skip_empty_skips_records_where_all_named_fields_are_empty():
    spec = mapping(skip_empty=["text", "title"])

    assert map_record(spec, review(text="", title="  ")) is None
    assert map_record(spec, review(text="", title="Only a title")).title == "Only a title"


def test_skip_empty_on_a_customer_field_looks_at_the_customer():
    spec = mapping(skip_empty=["customer.email"])

    assert map_record(spec, review(email="")) is None
    assert map_record(spec, review()).customer.email == "anna@x.example"


def test_skipped_records_are_not_validated():
    spec = mapping(skip_empty=["text"])

    assert map_record(spec, {"text": "", "rating": "99"}) is None


def test_nul_and_lone_surrogates_are_taken_out_of_text():
    row = review(text="broken\x00 box \ud800!", title="\x00", extra={"k\x00": ["v\x00"]})

    item = map_record(mapping(metadata={"extra": "extra"}), row)

    assert item.text == "broken box \ufffd!"
    assert item.title == ""
    assert item.metadata == {"extra": {"k": ["v"]}}


# --- events ---------------------------------------------------------------------------------------
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


def test_an_event_mapping_makes_an_event_with_properties():
    record = {
        "id": 17,
        "type": "order_delivered",
        "at": "2026-01-03T08:00:00Z",
        "customer": {"email": "anna@x.example"},
        "order": {"number": "A-17", "total": 49.9},
    }

    event = map_record(EVENT_MAPPING, record)

    assert isinstance(event, EventIn)
    assert (event.name, event.source, event.external_id) == ("order_delivered", "Shop", "17")
    assert event.customer.email == "anna@x.example"
    assert event.properties == {"order": "A-17", "total": 49.9}


def test_an_event_without_a_name_is_a_record_error():
    with pytest.raises(RecordError) as refused:
        map_record(EVENT_MAPPING, {"id": 1, "at": "2026-01-03T08:00:00Z"})

    assert refused.value.errors == [("name", "Field required")]
