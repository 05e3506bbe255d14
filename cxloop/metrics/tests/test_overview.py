"""Dashboards › Overview (/dashboards/): the cards' figures and their changes on a small hand-counted fixture,
dashboard-wide filters, drill-down links that the Inbox answers with exactly the feedback behind a figure,
greyed too-few figures, the region × month table that finds a bad month, rising themes, the latest
verbatims, bad input, the empty states, the page's query count, and that nobody sees another workspace."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from cxloop.accounts.tests.helpers import assert_shows_no_acme_data
from cxloop.analysis.models import Enrichment, Theme, ThemeMention
from cxloop.customers.models import Customer
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.metrics import stats

JULY = "period=custom&since=2026-07-01&until=2026-07-31"  # the period before: 2026-05-31 … 2026-06-30


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def make(
    workspace,
    when,
    *answers,
    channel="survey",
    touchpoint="",
    customer=None,
    text="",
    sentiment="",
    themes=(),
):
    item = FeedbackItem.objects.create(
        workspace=workspace,
        channel=channel,
        touchpoint=touchpoint,
        occurred_at=when,
        customer=customer,
        text=text,
    )
    for i, (kind, value) in enumerate(answers):
        scale = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}[kind]
        Answer.objects.create(
            workspace=workspace,
            item=item,
            key=f"{kind}{i}",
            type=kind,
            value=value,
            scale_min=scale[0],
            scale_max=scale[1],
            occurred_at=when,
            channel=channel,
        )
    if sentiment:
        Enrichment.objects.create(workspace=workspace, item=item, status="done", sentiment=sentiment)
    for theme in themes:
        ThemeMention.objects.create(workspace=workspace, item=item, theme=theme, status="suggested")
    return item


@pytest.fixture
def shop(cast):
    """Acme, hand-counted. July 2026: 40 NPS answers — 20 promoters (10), 10 passives (8), 10 detractors (3)
    — so NPS +25; the detractors are North West customers on the delivery touchpoint, by ticket. June: 40
    promoters (NPS +100). 12 CSAT answers in July (too few). A theme mentioned 25 times in July, never in
    June. One item in May, before the period compared with, so the data does not start within it."""
    ws = cast.workspace
    nw = Customer.objects.create(workspace=ws, region="North West", segment="vip", name="Nora West")
    se = Customer.objects.create(workspace=ws, region="South East", segment="regular", name="Sam East")
    sizing = Theme.objects.create(workspace=ws, name="Sizing runs small")
    make(ws, at("2026-05-10"), text="An early word")
    for i in range(20):
        make(ws, at("2026-07-03") + timedelta(hours=i), ("nps", 10), customer=se, touchpoint="product")
    for i in range(10):
        make(ws, at("2026-07-10") + timedelta(hours=i), ("nps", 8), customer=se, touchpoint="product")
    for i in range(10):
        make(
            ws,
            at("2026-07-20") + timedelta(hours=i),
            ("nps", 3),
            channel="ticket",
            customer=nw,
            touchpoint="delivery",
            text=f"Parcel {i} arrived a week late",
            sentiment="negative",
        )
    for i in range(40):
        make(ws, at("2026-06-05") + timedelta(hours=i), ("nps", 10), customer=se)
    for i in range(12):
        make(ws, at("2026-07-05") + timedelta(hours=i), ("csat", 5 if i % 3 else 2))
    for i in range(25):
        make(
            ws, at("2026-07-15") + timedelta(hours=i), text=f"The linen shirt {i} runs small", themes=[sizing]
        )
    return {"nw": nw, "se": se, "sizing": sizing}


def page(client, query: str = JULY):
    response = client.get(f"/dashboards/?{query}")
    assert response.status_code == 200
    return response


def card(response, metric: str):
    return next(c for c in response.context["cards"] if c.metric == metric)


def inbox_ids(client, url: str) -> set[int]:
    """The items the Inbox shows at a dashboard's link (one page is enough here)."""
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["next_cursor"] is None
    return {item.pk for item in response.context["items"]}


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# -- the page and its cards ----------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["owner", "analyst", "agent", "viewer"])
def test_every_member_sees_the_overview(cast, login, shop, role):
    response = page(login(cast.user(role)))
    assert response.templates[0].name == "metrics/overview.html"
    assert b"Dashboards \xc2\xb7 Overview" in response.content
    assert [c.metric for c in response.context["cards"]] == ["nps", "csat", "ces", "volume"]


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get("/dashboards/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/dashboards/")


def test_nps_card_shows_the_hand_counted_nps_interval_and_n(cast, login, shop):
    nps = card(page(login(cast.viewer)), "nps")

    expected = stats.nps(20, 10, 10)  # adjusted-Wald interval
    assert (nps.value, nps.n, nps.too_few) == ("+25", 40, False)
    assert (round(expected.low), round(expected.high)) == (-1, 48)
    assert nps.interval == "−1 to +48"


def test_nps_card_names_the_significant_drop_and_its_test(cast, login, shop):
    nps = card(page(login(cast.viewer)), "nps")

    assert nps.direction == "down"
    assert nps.change.startswith("NPS −75.0 points against 2026-05-31 to 2026-06-30: significant (")
    assert "two-sample z-test" in nps.change and "p<0.001" in nps.change


def test_a_change_that_is_noise_says_no_significant_change(cast, login, shop):
    ws = cast.workspace
    for i in range(40):  # August: the same mix as July
        value = 10 if i < 20 else 8 if i < 30 else 3
        make(ws, at("2026-08-01") + timedelta(hours=i), ("nps", value))

    nps = card(page(login(cast.viewer), "period=custom&since=2026-08-01&until=2026-08-31"), "nps")

    assert nps.direction == "flat"
    assert nps.change.startswith("No significant change against 2026-07-01 to 2026-07-31 (")
    assert "p=1.00" in nps.change


def test_too_few_answers_are_greyed_with_their_n(cast, login, shop):
    response = page(login(cast.viewer))
    csat = card(response, "csat")

    assert (csat.too_few, csat.n, csat.value) == (True, 12, "67%")  # 8 of 12 gave 5
    assert "too few answers (n=12)" in response.content.decode()
    assert csat.change == "Nothing to compare with: no answers from 2026-05-31 to 2026-06-30."


def test_volume_card_counts_items_and_tests_the_change(cast, login, shop):
    volume = card(page(login(cast.viewer)), "volume")
    assert (volume.value, volume.n) == ("77", 77)  # 40 NPS + 12 CSAT + 25 texts; June had 40
    assert "exact test of two Poisson counts" in volume.change


# -- filters -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("filters", "nps", "n"),
    [
        ("", "+25", 40),
        ("&region=North+West", "−100", 10),
        ("&region=South+East", "+67", 30),
        ("&channel=ticket", "−100", 10),
        ("&touchpoint=product", "+67", 30),
        ("&segment=vip", "−100", 10),
    ],
)
def test_dashboard_filters_change_every_figure(cast, login, shop, filters, nps, n):
    response = page(login(cast.viewer), JULY + filters)
    assert (card(response, "nps").value, card(response, "nps").n) == (nps, n)


def test_region_filter_applies_to_the_breakdowns_and_verbatims(cast, login, shop):
    response = page(login(cast.viewer), JULY + "&region=South+East")
    assert [r.label for r in response.context["by_region"].rows] == ["South East"]
    assert response.context["verbatims"] == []  # the South East customer wrote no text
    assert "Parcel" not in response.content.decode()


def test_the_default_period_is_the_last_12_months_to_today(cast, login, shop):
    response = page(login(cast.viewer), "")
    selection = response.context["selection"]
    today = timezone.now().date()
    assert selection.until == today
    eleven_back = today.year * 12 + today.month - 1 - 11
    assert selection.since == date(eleven_back // 12, eleven_back % 12 + 1, 1)  # 12 calendar months
    assert selection.time_group == "month"
    assert response.context["current_period"] == "12m"


@pytest.mark.parametrize(("period", "days", "group"), [("30", 30, "week"), ("90", 90, "week")])
def test_last_30_and_90_days_end_today(cast, login, shop, period, days, group):
    selection = page(login(cast.viewer), f"period={period}").context["selection"]
    assert (selection.until, selection.days, selection.time_group) == (timezone.now().date(), days, group)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            "period=custom&since=2026-07-31&until=2026-07-01",
            "until",
            "The end date is before the start date.",
        ),
        ("period=custom&since=July&until=2026-07-31", "since", "Give a date as YYYY-MM-DD."),
        ("period=custom&since=2026-07-01", "until", "Give both dates of a custom period."),
        ("period=custom&since=0001-01-01&until=2026-07-31", "since", "Give a date between 1970 and 2100."),
        ("period=fortnight", "period", "Unknown period; choose one from the list."),
        (JULY + "&channel=pigeon", "channel", "Unknown channel; choose one from the list."),
    ],
)
def test_bad_filters_are_named_beside_their_field_and_show_no_figures(
    cast, login, shop, query, field, message
):
    response = page(login(cast.viewer), query)
    assert response.context["errors"][field] == message
    assert message in response.content.decode()
    assert "cards" not in response.context


# -- drill-down ----------------------------------------------------------------------------------------------
def test_detractor_link_carries_the_filters_and_the_inbox_shows_exactly_those_items(cast, login, shop):
    client = login(cast.viewer)
    nps = card(page(client, JULY + "&channel=ticket&region=North+West"), "nps")

    assert query_of(nps.detractors) == {
        "since": "2026-07-01",
        "until": "2026-07-31",
        "channel": "ticket",
        "region": "North West",
        "answer": "nps",
        "score_max": "6",
    }
    detractors = set(
        FeedbackItem.objects.filter(workspace=cast.workspace, answers__type="nps", answers__value__lte=6)
        .filter(occurred_at__month=7)
        .values_list("pk", flat=True)
    )
    assert inbox_ids(client, nps.detractors) == detractors and len(detractors) == 10


def test_every_card_links_to_the_answers_behind_it(cast, login, shop):
    client = login(cast.viewer)
    response = page(client)
    assert len(inbox_ids(client, card(response, "nps").inbox)) == 40
    assert len(inbox_ids(client, card(response, "csat").inbox)) == 12
    assert query_of(card(response, "volume").inbox) == {"since": "2026-07-01", "until": "2026-07-31"}


def test_region_rows_link_to_their_answers_and_detractors(cast, login, shop):
    client = login(cast.viewer)
    rows = {r.label: r for r in page(client).context["by_region"].rows}

    assert rows["North West"].value == "−100" and rows["South East"].value == "+67"
    links = dict(rows["North West"].links)
    assert query_of(links["Detractors"])["region"] == "North West"
    assert len(inbox_ids(client, links["Answers"])) == 10
    assert len(inbox_ids(client, dict(rows["South East"].links)["Detractors"])) == 0
    assert "too few answers (n=10)" in rows["North West"].note


def test_trend_points_link_to_their_period(cast, login, shop):
    client = login(cast.viewer)
    response = page(client, "period=custom&since=2026-04-01&until=2026-07-31")  # > 90 days: by month
    nps = next(t for t in response.context["trends"] if t.metric == "nps")

    assert [(label, n) for label, _, n in nps.links] == [("2026-06", 40), ("2026-07", 40)]
    june = nps.links[0][1]
    assert query_of(june) == {"since": "2026-06-01", "until": "2026-06-30", "answer": "nps"}
    assert len(inbox_ids(client, june)) == 40
    assert [row[0] for row in nps.chart.rows] == ["2026-04", "2026-05", "2026-06", "2026-07"]  # gaps kept


def test_volume_by_channel_and_sentiment_by_touchpoint_link_to_the_inbox(cast, login, shop):
    client = login(cast.viewer)
    response = page(client)
    channels = {r.label: r for r in response.context["by_channel"].rows}
    assert channels["Support ticket"].value == "10"
    assert len(inbox_ids(client, dict(channels["Support ticket"].links)["Feedback"])) == 10

    touchpoints = {r.label: r for r in response.context["by_touchpoint"].rows}
    assert touchpoints["delivery"].value == "−100"  # all ten read as negative
    negative = dict(touchpoints["delivery"].links)["Negative"]
    assert query_of(negative)["sentiment"] == "negative"
    assert len(inbox_ids(client, negative)) == 10


def test_rising_theme_is_listed_with_counts_test_and_link(cast, login, shop):
    client = login(cast.viewer)
    response = page(client)
    [move] = response.context["rising"]

    assert (move.label, move.before, move.now) == ("Sizing runs small", 0, 25)
    assert "exact test of two Poisson counts, p<0.001" in move.test
    assert query_of(move.inbox) == {
        "since": "2026-07-01",
        "until": "2026-07-31",
        "theme": str(shop["sizing"].pk),
    }
    assert len(inbox_ids(client, move.inbox)) == 25
    assert response.context["falling"] == []


def test_region_by_month_table_finds_the_bad_month(cast, login, shop):
    ws = cast.workspace
    for i in range(35):  # the South East in April: enough promoters to make a month of its own
        make(ws, at("2026-04-02") + timedelta(hours=i), ("nps", 10), customer=shop["se"])
    for i in range(32):  # the North West in July: more detractors, enough to count
        make(ws, at("2026-07-22") + timedelta(hours=i), ("nps", 0), customer=shop["nw"])

    response = page(login(cast.viewer), "period=custom&since=2026-04-01&until=2026-07-31")
    heatmap = response.context["heatmap"]

    assert heatmap.periods == ["2026-04", "2026-05", "2026-06", "2026-07"]
    assert [(region, period) for region, period, _ in heatmap.below] == [("North West", "2026-07")]
    [(_, _, cell)] = heatmap.below
    assert (cell.value, cell.n) == ("−100", 42)
    assert query_of(cell.inbox) == {
        "since": "2026-07-01",
        "until": "2026-07-31",
        "region": "North West",
        "answer": "nps",
    }
    assert "Clearly below the selection" in response.content.decode()


def test_latest_verbatims_are_the_ten_newest_texts_with_sentiment_and_link(cast, login, shop):
    response = page(login(cast.viewer))
    verbatims = response.context["verbatims"]

    assert len(verbatims) == 10
    assert [v.text for v in verbatims[:2]] == ["Parcel 9 arrived a week late", "Parcel 8 arrived a week late"]
    assert verbatims[0].reading_sentiment == "negative"
    content = response.content.decode()
    assert f'href="/inbox/{verbatims[0].pk}/"' in content
    assert "Nora West" in content


# -- empty states --------------------------------------------------------------------------------------------
def test_empty_workspace_shows_how_to_get_feedback_in_not_zeros(cast, login):
    response = page(login(cast.viewer), "")
    content = response.content.decode()

    assert "No feedback yet" in content
    for url in ("/surveys/", "/settings/imports/", "/settings/webhooks/", "POST /api/v1/feedback"):
        assert url in content
    assert "cards" not in response.context
    assert "95% CI" not in content and "+0" not in content and "0%" not in content


def test_a_selection_without_feedback_says_so(cast, login, shop):
    response = page(login(cast.viewer), JULY + "&region=Atlantis")
    assert response.context["empty_selection"] is True
    assert "No feedback matches these filters in this period." in response.content.decode()
    assert "trends" not in response.context


def test_data_starting_within_the_period_before_is_not_a_rise(cast, login, shop):
    FeedbackItem.objects.filter(workspace=cast.workspace, occurred_at__month=5).delete()
    make(cast.workspace, at("2026-06-20"), text="First feedback ever")  # June 1–19 had none: a partial start
    FeedbackItem.objects.filter(workspace=cast.workspace, occurred_at__lt=at("2026-06-20", 0)).delete()

    response = page(login(cast.viewer))
    assert card(response, "volume").change.startswith("Not compared: the feedback starts on 2026-06-20")
    assert response.context["previous_empty"] is True
    assert "so every theme would seem to grow" in response.content.decode()


# -- cost and isolation --------------------------------------------------------------------------------------
def test_the_page_reads_in_a_fixed_number_of_queries(cast, client, shop, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The shell's own reads (session, user, memberships, menus…) and the first-feedback check: the page of
    # an empty workspace (Other Co has no feedback), counted rather than assumed, as the shell grows.
    client.force_login(cast.outsider)
    page(client, JULY)
    with CaptureQueriesContext(connection) as shell:
        page(client, JULY)
    shell_queries = len(shell)  # now: the next request clears the connection's query log
    client.force_login(cast.viewer)
    page(client)  # warm the session
    # on top: 3 filter menus, 8 for the four cards (two each), 3 trends, 4 breakdowns, 2 theme changes,
    # 1 for the verbatims
    with django_assert_max_num_queries(shell_queries + 21):
        page(client)
    ws = cast.workspace
    for i in range(60):  # more data, more regions and themes: the same number of queries
        customer = Customer.objects.create(workspace=ws, region=f"Region {i % 7}")
        make(
            ws,
            at("2026-07-25") + timedelta(minutes=i),
            ("nps", i % 11),
            ("csat", 1 + i % 5),
            customer=customer,
        )
    with django_assert_max_num_queries(shell_queries + 21):
        page(client)


def test_outsider_sees_none_of_acmes_numbers(cast, login, shop):
    other = cast.other_workspace
    mine = Customer.objects.create(workspace=other, region="Highlands", name="Olga Other")
    for i in range(3):
        make(other, at("2026-07-04") + timedelta(hours=i), ("nps", 9), customer=mine, text=f"Other words {i}")
    client = login(cast.outsider)

    for query in (JULY, JULY + "&region=North+West", JULY + "&segment=vip&touchpoint=delivery", ""):
        response = page(client, query)
        content = response.content.decode()
        assert_shows_no_acme_data(
            response, "Nora West", "Sam East", "Parcel", "Sizing runs small", "South East"
        )
        assert "North West</option>" not in content  # Acme's regions are not offered
        if query == JULY:
            assert (card(response, "nps").value, card(response, "nps").n) == ("+100", 3)
            assert card(response, "volume").n == 3
            assert "Other words 2" in content
        links = re.findall(r'href="(/inbox/\?[^"]+)"', content)
        for url in links:  # every drill-down link shows the outsider's own items only
            assert all(i.workspace_id == other.pk for i in client.get(unescape(url)).context["items"])
