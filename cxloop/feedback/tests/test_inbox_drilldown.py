"""The Inbox's drill-down filters (the dashboards link to them): touchpoint, the customer's segment and
region, a theme (with its sub-themes, rejected suggestions aside), the reading's sentiment, and an answer
type with score bounds; each narrows the list, shows as a removable chip, and keeps to the workspace."""

from __future__ import annotations

import pytest

from cxloop.analysis.models import Enrichment, Theme, ThemeMention

from .helpers import feedback_body, ingest


@pytest.fixture
def story(cast):
    """Five Acme items and a theme tree Delivery › Late delivery: external id -> item, plus the themes."""
    ws = cast.workspace
    items = ingest(
        ws,
        feedback_body(
            external_id="late",
            touchpoint="delivery",
            occurred_at="2026-07-10T10:00:00Z",
            customer={"email": "nw@example.com", "segment": "VIP", "region": "North West"},
            answers=[{"key": "nps", "type": "nps", "value": 2}],
        ),
        feedback_body(
            external_id="happy",
            touchpoint="delivery",
            occurred_at="2026-07-11T10:00:00Z",
            customer={"email": "se@example.com", "segment": "Regular", "region": "South East"},
            answers=[{"key": "nps", "type": "nps", "value": 10}],
        ),
        feedback_body(
            external_id="csat-low",
            touchpoint="checkout",
            occurred_at="2026-07-12T10:00:00Z",
            customer={"email": "nw2@example.com", "segment": "Regular", "region": "North West"},
            answers=[{"key": "csat", "type": "csat", "value": 2, "scale_min": 1, "scale_max": 5}],
        ),
        feedback_body(
            external_id="anon",
            channel="review",
            occurred_at="2026-07-13T10:00:00Z",
            customer=...,
            answers=[],
        ),
        feedback_body(
            external_id="rejected",
            occurred_at="2026-07-14T10:00:00Z",
            customer={"email": "x@example.com", "region": "North West"},
            answers=[{"key": "nps", "type": "nps", "value": 8}],
        ),
    )
    by_id = {item.external_id: item for item in items}
    delivery = Theme.objects.create(workspace=ws, name="Delivery")
    late = Theme.objects.create(workspace=ws, name="Late delivery", parent=delivery)
    price = Theme.objects.create(workspace=ws, name="Price")
    ThemeMention.objects.create(workspace=ws, item=by_id["late"], theme=late, status="suggested")
    ThemeMention.objects.create(workspace=ws, item=by_id["happy"], theme=delivery, status="accepted")
    ThemeMention.objects.create(workspace=ws, item=by_id["rejected"], theme=late, status="rejected")
    ThemeMention.objects.create(workspace=ws, item=by_id["csat-low"], theme=price, status="suggested")
    for key, sentiment in [("late", "negative"), ("happy", "positive"), ("csat-low", "negative")]:
        Enrichment.objects.create(workspace=ws, item=by_id[key], status="done", sentiment=sentiment)
    return {"items": by_id, "delivery": delivery, "late": late, "price": price}


def _shown(response) -> list[str]:
    assert response.status_code == 200
    return [item.external_id for item in response.context["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["rejected", "anon", "csat-low", "happy", "late"]),
        ("touchpoint=delivery", ["happy", "late"]),
        ("touchpoint=checkout", ["csat-low"]),
        ("touchpoint=nowhere", []),
        ("segment=VIP", ["late"]),
        ("segment=Regular", ["csat-low", "happy"]),
        ("region=North+West", ["rejected", "csat-low", "late"]),
        ("region=North+West&segment=Regular", ["csat-low"]),
        ("sentiment=negative", ["csat-low", "late"]),
        ("sentiment=positive", ["happy"]),
        ("sentiment=furious", ["rejected", "anon", "csat-low", "happy", "late"]),  # unknown: ignored
        ("answer=nps", ["rejected", "happy", "late"]),
        ("answer=nps&score_max=6", ["late"]),  # NPS detractors
        ("answer=nps&score_min=9", ["happy"]),  # NPS promoters
        ("answer=nps&score_min=7&score_max=8", ["rejected"]),  # passives
        ("answer=csat", ["csat-low"]),
        ("answer=csat&score_max=3", ["csat-low"]),
        ("answer=ces", []),
        ("score_max=2", ["csat-low", "late"]),  # without answer=: any score type, as before
        ("answer=bogus&score_max=2", ["csat-low", "late"]),  # an unknown type is ignored
        ("region=North+West&answer=nps&score_max=6&since=2026-07-01&until=2026-07-31", ["late"]),
    ],
)
def test_each_drilldown_filter_narrows_the_inbox(cast, login, story, query, expected):
    assert _shown(login(cast.viewer).get(f"/inbox/?{query}")) == expected


def test_theme_filter_keeps_counted_mentions_of_the_theme_and_its_sub_themes(cast, login, story):
    client = login(cast.viewer)

    # Delivery: "happy" directly, "late" through Late delivery; the rejected suggestion does not count
    assert _shown(client.get(f"/inbox/?theme={story['delivery'].pk}")) == ["happy", "late"]
    assert _shown(client.get(f"/inbox/?theme={story['late'].pk}")) == ["late"]
    assert _shown(client.get(f"/inbox/?theme={story['price'].pk}")) == ["csat-low"]
    assert _shown(client.get(f"/inbox/?theme={story['price'].pk}&sentiment=positive")) == []


@pytest.mark.parametrize("theme", ["abc", "-3", "0", "99999999999999999999"])
def test_a_theme_id_that_is_no_theme_gives_nothing_or_is_ignored(cast, login, story, theme):
    response = login(cast.viewer).get(f"/inbox/?theme={theme}")
    shown = _shown(response)
    assert shown == ([] if theme != "abc" else ["rejected", "anon", "csat-low", "happy", "late"])


def test_another_workspaces_theme_id_gives_nothing(cast, login, story):
    other = cast.other_workspace
    [theirs] = ingest(other, feedback_body(external_id="theirs"))
    their_theme = Theme.objects.create(workspace=other, name="Delivery")
    ThemeMention.objects.create(workspace=other, item=theirs, theme=their_theme, status="accepted")

    # Acme's member with Other Co's theme id: nothing of Acme has it
    assert _shown(login(cast.viewer).get(f"/inbox/?theme={their_theme.pk}")) == []


def test_outsider_with_acme_drilldown_filters_sees_none_of_acmes_items(cast, login, story):
    ingest(
        cast.other_workspace,
        feedback_body(external_id="theirs", customer={"email": "o@example.com", "region": "North West"}),
    )
    client = login(cast.outsider)
    query = f"theme={story['delivery'].pk}"
    assert _shown(client.get(f"/inbox/?{query}")) == []
    assert _shown(client.get("/inbox/?region=North+West")) == ["theirs"]
    content = client.get(f"/inbox/?{query}").content.decode()
    assert "Delivery" not in content  # the chip does not name Acme's theme
    assert "unknown theme" in content


def test_active_drilldown_filters_show_as_chips_that_remove_themselves(cast, login, story):
    response = login(cast.viewer).get(
        f"/inbox/?region=North+West&theme={story['late'].pk}&answer=nps&score_max=6&since=2026-07-01"
    )
    chips = {chip.label: chip.remove_url for chip in response.context["chips"]}

    assert set(chips) == {
        "Region: North West",
        "Theme: Delivery › Late delivery",
        "NPS ≤ 6",
        "From: 2026-07-01",
    }
    assert "region" not in chips["Region: North West"]
    assert f"theme={story['late'].pk}" in chips["Region: North West"]
    assert "answer" not in chips["NPS ≤ 6"] and "score_max" not in chips["NPS ≤ 6"]
    content = response.content.decode()
    assert "Theme: Delivery › Late delivery" in content
    assert 'name="region" value="North West"' in content
    assert f'name="theme" value="{story["late"].pk}"' in content  # Apply keeps the theme
    assert '<option value="nps" selected>' in content


def test_an_inbox_without_drilldown_filters_shows_no_chips(cast, login, story):
    response = login(cast.viewer).get("/inbox/")
    assert response.context["chips"] == []
    assert "filter-chips" not in response.content.decode()


def test_unknown_sentiment_shows_no_chip(cast, login, story):
    response = login(cast.viewer).get("/inbox/?sentiment=furious&segment=VIP")
    assert [c.label for c in response.context["chips"]] == ["Segment: VIP"]


def test_dates_are_days_of_the_workspaces_time_zone_as_on_the_dashboards(cast, login):
    from datetime import UTC, datetime

    from cxloop.feedback.models import FeedbackItem

    ws = cast.workspace
    ws.timezone = "Europe/Paris"
    ws.save(update_fields=["timezone"])
    # 23:30 UTC on 9 March is 00:30 on 10 March in Paris: a 10 March item there, as the dashboards count it
    FeedbackItem.objects.create(
        workspace=ws,
        channel="survey",
        occurred_at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC),
        text="Late night",
    )
    page = login(cast.viewer)
    on_the_tenth = page.get("/inbox/", {"since": "2026-03-10", "until": "2026-03-10"}).content.decode()
    on_the_ninth = page.get("/inbox/", {"since": "2026-03-09", "until": "2026-03-09"}).content.decode()
    assert "Late night" in on_the_tenth and "Late night" not in on_the_ninth
