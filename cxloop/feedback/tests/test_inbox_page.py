"""The inbox page (/inbox/): every member sees the workspace's feedback newest first, filters narrow it,
htmx loads more rows, a detail page shows one item; nobody sees another workspace's feedback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .helpers import feedback_body, ingest


@pytest.fixture
def acme_feedback(cast):
    """Four Acme items over three months: external id -> item."""
    items = ingest(
        cast.workspace,
        feedback_body(
            external_id="a",
            text="Broken parcel, nobody answered",
            occurred_at="2026-01-02T10:00:00Z",
            customer={"email": "anna@example.com", "name": "Anna Berg"},
        ),
        feedback_body(
            external_id="b",
            channel="survey",
            source="delighted",
            text="Fast and friendly",
            occurred_at="2026-02-01T12:00:00Z",
            customer={"email": "ben@example.com"},
            answers=[{"key": "nps", "type": "nps", "value": 9}],
        ),
        feedback_body(
            external_id="c",
            channel="review",
            source="trustpilot",
            title="Lovely service",
            text="",
            occurred_at="2026-03-01T12:00:00Z",
            customer=...,
            answers=[],
        ),
        feedback_body(
            external_id="d",
            source="freshdesk",
            text="Parcel late again",
            occurred_at="2026-03-15T08:00:00Z",
            customer={"email": "anna@example.com"},
            answers=[{"key": "nps", "type": "nps", "value": 6}],
        ),
    )
    return {item.external_id: item for item in items}


def _shown(response) -> list[str]:
    return [item.external_id for item in response.context["items"]]


# --- List ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["owner", "admin", "analyst", "agent", "viewer"])
def test_every_member_sees_the_inbox(cast, login, acme_feedback, role):
    response = login(cast.user(role)).get("/inbox/")

    assert response.status_code == 200
    assert _shown(response) == ["d", "c", "b", "a"]


def test_inbox_shows_items_newest_first_with_customer_and_score(cast, login, acme_feedback):
    response = login(cast.viewer).get("/inbox/")

    content = response.content.decode()
    positions = [content.index(text) for text in ("Parcel late again", "Lovely service", "Fast and friendly")]
    assert positions == sorted(positions)
    assert "Anna Berg" in content
    assert "NPS 9" in content
    assert "anonymous" in content  # the review has no customer


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get("/inbox/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/inbox/")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("channel=ticket", ["d", "a"]),
        ("channel=survey", ["b"]),
        ("channel=nonsense", ["d", "c", "b", "a"]),  # an unknown channel is ignored, not an error
        ("source=zendesk", ["a"]),
        ("source=trustpilot", ["c"]),
        ("q=parcel", ["d", "a"]),
        ("q=PARCEL&channel=ticket&source=freshdesk", ["d"]),
        ("score_min=7", ["b"]),
        ("score_max=6", ["d", "a"]),  # a has the default NPS 3
        ("score_min=5&score_max=10", ["d", "b"]),
        ("score_min=abc", ["d", "c", "b", "a"]),
        ("since=2026-02-01", ["d", "c", "b"]),
        ("until=2026-03-01", ["c", "b", "a"]),  # until is inclusive of the whole day
        ("since=2026-02-01&until=2026-03-01", ["c", "b"]),
        ("since=not-a-date", ["d", "c", "b", "a"]),
        ("has_text=yes", ["d", "b", "a"]),
        ("has_text=no", ["c"]),
    ],
)
def test_inbox_filters_narrow_the_list(cast, login, acme_feedback, query, expected):
    response = login(cast.viewer).get(f"/inbox/?{query}")

    assert response.status_code == 200
    assert _shown(response) == expected


def test_inbox_keeps_the_chosen_filters_in_the_form(cast, login, acme_feedback):
    response = login(cast.viewer).get("/inbox/?channel=survey&q=fast")

    content = response.content.decode()
    assert '<option value="survey" selected>' in content
    assert 'name="q" value="fast"' in content


def test_inbox_offers_the_workspace_sources_as_filter(cast, login, acme_feedback):
    content = login(cast.viewer).get("/inbox/").content.decode()

    for source in ("delighted", "freshdesk", "trustpilot", "zendesk"):
        assert f"<option>{source}</option>" in content


def test_inbox_with_garbage_cursor_says_so(cast, login, acme_feedback):
    response = login(cast.viewer).get("/inbox/?cursor=garbage")

    assert response.status_code == 200
    assert response.context["items"] == []
    assert "The cursor is not valid" in response.content.decode()


# --- Pages of rows ------------------------------------------------------------------------------
@pytest.fixture
def sixty_items(cast):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    bodies = [
        feedback_body(
            external_id=f"t-{i}",
            text=f"item number {i:02d}",
            occurred_at=(start + timedelta(hours=i)).isoformat(),
        )
        for i in range(60)
    ]
    return ingest(cast.workspace, *bodies)


def test_first_page_shows_50_rows_and_a_load_more_link(cast, login, sixty_items):
    response = login(cast.viewer).get("/inbox/?channel=ticket")

    assert len(response.context["items"]) == 50
    cursor = response.context["next_cursor"]
    assert cursor
    assert f"?channel=ticket&amp;cursor={cursor}" in response.content.decode()


def test_htmx_request_with_cursor_answers_only_the_next_rows(cast, login, sixty_items):
    client = login(cast.viewer)
    cursor = client.get("/inbox/").context["next_cursor"]

    response = client.get(f"/inbox/?cursor={cursor}", headers={"HX-Request": "true"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert "<form" not in content
    assert content.count("<tr>") == 10
    assert "item number 09" in content
    assert "item number 10" not in content  # shown on the first page
    assert "more-row" not in content  # the last page has no load-more row
    assert response.templates[0].name == "feedback/_rows.html"


def test_htmx_request_without_cursor_answers_the_whole_page(cast, login, sixty_items):
    response = login(cast.viewer).get("/inbox/", headers={"HX-Request": "true"})

    assert "<html" in response.content.decode()


def test_plain_request_with_cursor_answers_the_whole_page(cast, login, sixty_items):
    client = login(cast.viewer)
    cursor = client.get("/inbox/").context["next_cursor"]

    response = client.get(f"/inbox/?cursor={cursor}")

    assert "<html" in response.content.decode()
    assert len(response.context["items"]) == 10


def test_inbox_query_count_does_not_grow_with_the_items(cast, login, django_assert_num_queries):
    def add(start: int, count: int):
        ingest(
            cast.workspace,
            *[
                feedback_body(
                    external_id=f"t-{i}",
                    source=f"source-{i % 7}",
                    customer={"email": f"c{i}@example.com", "name": f"Customer {i}"},
                    answers=[
                        {"key": "nps", "type": "nps", "value": i % 11},
                        {"key": "csat", "type": "csat", "value": 1 + i % 5},
                    ],
                )
                for i in range(start, start + count)
            ],
        )

    client = login(cast.viewer)
    add(0, 5)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get("/inbox/").context["items"]) == 5
    add(5, 45)

    with django_assert_num_queries(len(five)):
        assert len(client.get("/inbox/").context["items"]) == 50


# --- Detail -------------------------------------------------------------------------------------
def test_detail_shows_the_item_with_answers_and_customer(cast, login, acme_feedback):
    item = acme_feedback["d"]

    response = login(cast.viewer).get(f"/inbox/{item.pk}/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Parcel late again" in content
    assert "freshdesk" in content
    assert "nps <small>(NPS (0–10))</small>" in content
    assert "6 on 0–10" in content
    assert f'href="/customers/{item.customer_id}/"' in content
    assert "<html" in content


def test_htmx_detail_answers_only_the_drawer(cast, login, acme_feedback):
    response = login(cast.viewer).get(f"/inbox/{acme_feedback['a'].pk}/", headers={"HX-Request": "true"})

    content = response.content.decode()
    assert "Broken parcel" in content
    assert "<html" not in content


def test_detail_of_unknown_item_is_404(cast, login, db):
    response = login(cast.viewer).get("/inbox/987654/")

    assert response.status_code == 404


# --- Workspace isolation ------------------------------------------------------------------------
@pytest.mark.parametrize("htmx", [False, True])
def test_outsider_gets_404_for_an_acme_item(cast, login, acme_feedback, htmx):
    headers = {"HX-Request": "true"} if htmx else {}

    response = login(cast.outsider).get(f"/inbox/{acme_feedback['a'].pk}/", headers=headers)

    assert response.status_code == 404
    assert "Broken parcel" not in response.content.decode()


@pytest.mark.parametrize("query", ["", "?q=parcel", "?channel=ticket", "?source=zendesk", "?score_min=0"])
def test_outsider_inbox_never_shows_acme_items(cast, login, acme_feedback, query):
    (own,) = ingest(cast.other_workspace, feedback_body(text="Other Co's own feedback about a parcel"))

    response = login(cast.outsider).get(f"/inbox/{query}")

    assert response.status_code == 200
    assert [item.pk for item in response.context["items"]] == [own.pk]
    content = response.content.decode()
    for text in ("Broken parcel", "Parcel late again", "Anna Berg", "freshdesk", "delighted"):
        assert text not in content


def test_outsider_paging_with_an_acme_cursor_sees_nothing_of_acme(cast, login, sixty_items):
    cursor = login(cast.viewer).get("/inbox/").context["next_cursor"]

    response = login(cast.outsider).get(f"/inbox/?cursor={cursor}", headers={"HX-Request": "true"})

    assert "item number" not in response.content.decode()
