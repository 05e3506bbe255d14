"""Dashboards › Explorer: the form, hand-computed figures by one and two groups, filters, links to the Inbox,
the CSV and XLSX downloads read back, bad input answered with messages, workspace isolation and a query
count that does not grow with the data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from cxloop.analysis.models import Enrichment, Theme, ThemeMention
from cxloop.customers.models import Customer
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.metrics import stats, views_explorer
from cxloop.metrics.engine import MIN_N

pytestmark = pytest.mark.django_db

URL = "/dashboards/explorer/"
EXPORT = "/dashboards/explorer/export/"
JAN = datetime(2026, 1, 15, 12, tzinfo=UTC)
FEB = datetime(2026, 2, 10, 12, tzinfo=UTC)
Q1 = {"period": "custom", "since": "2026-01-01", "until": "2026-03-31"}


def make(workspace, *answers, channel="survey", source="", touchpoint="", at=JAN, customer=None, sentiment="",
         themes=()):  # fmt: skip
    """One feedback item with answers given as (type, value)."""
    item = FeedbackItem.objects.create(
        workspace=workspace, channel=channel, source=source, touchpoint=touchpoint, occurred_at=at,
        customer=customer,
    )  # fmt: skip
    for i, (kind, value) in enumerate(answers):
        Answer.objects.create(
            workspace=workspace, item=item, key=f"{kind}{i}", type=kind, value=value, occurred_at=at,
            channel=channel,
        )  # fmt: skip
    if sentiment:
        Enrichment.objects.create(workspace=workspace, item=item, status="done", sentiment=sentiment)
    for theme in themes:
        ThemeMention.objects.create(workspace=workspace, item=item, theme=theme, status="suggested")
    return item


def nps_items(workspace, scores, **kw):
    for score in scores:
        make(workspace, ("nps", score), **kw)


def rows(response):
    return [(r.group, r.group2, r.value, r.interval, r.n, r.too_few) for r in response.context["rows"]]


def signed(value: float) -> str:
    whole = round(value)
    return f"+{whole}" if whole > 0 else str(whole).replace("-", "−")


def query_of(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    assert parts.path == "/inbox/"
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


# -- the form ------------------------------------------------------------------------------------------------
def test_form_renders_with_nps_by_month_over_twelve_months_first(login, cast):
    response = login(cast.viewer).get(URL)
    assert response.status_code == 200
    selection = response.context["selection"]
    assert (selection.metric, selection.group_by, selection.then_by, selection.period) == (
        "nps", "month", None, "12m",
    )  # fmt: skip
    today = response.context["selection"].until
    assert selection.since == date(today.year - (today.month < 12), (today.month % 12) + 1, 1)
    html = response.content.decode()
    for label in ("CSAT (% satisfied)", "CES (mean effort)", "Star rating", "Volume", "Sentiment index"):
        assert label in html
    assert '<option value="month" selected>' in html
    assert "No answers match this selection." in html  # nothing yet, and no made-up figures


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(EXPORT + "?format=csv").status_code == 302


# -- figures -------------------------------------------------------------------------------------------------
def test_nps_by_month_shows_the_hand_computed_values(login, cast):
    nps_items(cast.workspace, [10, 9, 9, 8, 3], at=JAN)  # 3 promoters, 1 passive, 1 detractor: +40
    nps_items(cast.workspace, [10, 2, 5, 6], at=FEB)  # 1 promoter, 3 detractors: −50
    response = login(cast.viewer).get(URL, {"metric": "nps", "group_by": "month", **Q1})
    jan, feb = stats.nps(3, 1, 1), stats.nps(1, 0, 3)
    assert rows(response) == [
        ("2026-01", "", "+40", f"{signed(jan.low)} to {signed(jan.high)}", 5, True),
        ("2026-02", "", "−50", f"{signed(feb.low)} to {signed(feb.high)}", 4, True),
    ]
    html = response.content.decode()
    assert "too few answers" in html and "explorer-few" in html
    [chart] = response.context["charts"]
    assert "<polyline" in chart.svg and "confidence band" in chart.svg  # one line with its band
    assert chart.rows[0][:2] == ["2026-01", "40"]
    # each row's Inbox link: the month, inside the selection's period
    first, second = (query_of(r.inbox) for r in response.context["rows"])
    assert first == {"answer": "nps", "since": "2026-01-01", "until": "2026-01-31"}
    assert second == {"answer": "nps", "since": "2026-02-01", "until": "2026-02-28"}


def test_csat_ces_and_rating_are_formatted_for_their_metric(login, cast):
    for value in (5, 4, 4, 2):
        make(cast.workspace, ("csat", value), ("ces", value + 1), ("rating", value))
    page = login(cast.viewer)
    [(_, _, csat, _, n, _)] = rows(page.get(URL, {"metric": "csat", "period": "all"}))
    assert (csat, n) == ("75%", 4)  # 3 of 4 in the top two boxes of 1–5
    [(_, _, ces, interval, _, _)] = rows(page.get(URL, {"metric": "ces", "period": "all"}))
    mean = stats.mean_from_values([6, 5, 5, 3])
    assert ces == "4.75" and interval == f"{mean.low:.2f} to {mean.high:.2f}"
    [(_, _, rating, _, _, _)] = rows(page.get(URL, {"metric": "rating", "period": "all"}))
    assert rating == "3.75"
    [(group, _, volume, interval, _, too_few)] = rows(page.get(URL, {"metric": "volume", "period": "all"}))
    assert (group, volume, interval, too_few) == ("All feedback", "4", "–", False)


def test_two_groups_month_then_channel(login, cast):
    nps_items(cast.workspace, [10, 10, 0], channel="email", at=JAN)  # +33
    nps_items(cast.workspace, [9], channel="chat", at=JAN)  # +100
    nps_items(cast.workspace, [1, 2], channel="email", at=FEB)  # −100
    response = login(cast.analyst).get(
        URL, {"metric": "nps", "group_by": "month", "then_by": "channel", **Q1}
    )
    got = {(g, g2): (value, n) for g, g2, value, _, n, _ in rows(response)}
    assert got == {
        ("2026-01", "Email"): ("+33", 3),
        ("2026-01", "Chat"): ("+100", 1),
        ("2026-02", "Email"): ("−100", 2),
    }
    # one line over the months per channel, the largest channel first; gaps where a month has no answers
    charts = response.context["charts"]
    assert [c.title for c in charts] == ["NPS by month: Channel Email", "NPS by month: Channel Chat"]
    assert [r[:2] for r in charts[1].rows] == [["2026-01", "100"], ["2026-02", "–"]]
    link = query_of(next(r.inbox for r in response.context["rows"] if r.group2 == "Chat"))
    assert link == {"answer": "nps", "channel": "chat", "since": "2026-01-01", "until": "2026-01-31"}
    assert '<th scope="col">Channel</th>' in response.content.decode()


def test_two_groups_without_time_draw_a_bar_chart_per_first_group(login, cast):
    gold = Customer.objects.create(workspace=cast.workspace, segment="gold", region="EMEA", country="DE")
    nps_items(cast.workspace, [10, 9], channel="email", source="zendesk", customer=gold)
    nps_items(cast.workspace, [0], channel="email", source="typeform")
    nps_items(cast.workspace, [7], channel="chat", source="zendesk")
    response = login(cast.viewer).get(
        URL, {"metric": "nps", "group_by": "channel", "then_by": "source", "period": "all"}
    )
    got = {(g, g2): (value, n) for g, g2, value, _, n, _ in rows(response)}
    assert got == {
        ("Email", "zendesk"): ("+100", 2),
        ("Email", "typeform"): ("−100", 1),
        ("Chat", "zendesk"): ("0", 1),
    }
    charts = response.context["charts"]
    assert [c.title for c in charts] == ["NPS by Source: Channel Email", "NPS by Source: Channel Chat"]
    assert [r[0] for r in charts[0].rows] == ["zendesk", "typeform"]  # largest first
    assert "Bars start at −100" in response.content.decode()
    # a segment with no value cannot be an Inbox filter: no link rather than a wrong one
    by_segment = login(cast.viewer).get(URL, {"metric": "nps", "group_by": "segment", "period": "all"})
    links = {r.group: r.inbox for r in by_segment.context["rows"]}
    assert links["(none)"] is None and query_of(links["gold"]) == {"answer": "nps", "segment": "gold"}
    # nor can a country (the Inbox has no such filter)
    by_country = login(cast.viewer).get(URL, {"metric": "volume", "group_by": "country", "period": "all"})
    assert {r.group: r.inbox for r in by_country.context["rows"]} == {"DE": None, "(none)": None}
    assert query_of(by_country.context["inbox_all"]) == {}


def test_filters_narrow_what_is_counted_and_travel_to_the_inbox(login, cast):
    gold = Customer.objects.create(workspace=cast.workspace, segment="gold", region="EMEA")
    silver = Customer.objects.create(workspace=cast.workspace, segment="silver", region="APAC")
    late = Theme.objects.create(workspace=cast.workspace, name="Delivery")
    make(cast.workspace, ("nps", 10), channel="email", touchpoint="checkout", customer=gold,
         sentiment="positive", themes=[late])  # fmt: skip
    make(
        cast.workspace,
        ("nps", 0),
        channel="email",
        touchpoint="checkout",
        customer=silver,
        sentiment="negative",
    )
    make(cast.workspace, ("nps", 5), channel="chat", customer=gold, sentiment="negative", themes=[late])
    page = login(cast.viewer)
    base = {"metric": "nps", "period": "all"}

    def n(**filters):
        [row] = page.get(URL, {**base, **filters}).context["rows"] or [None]
        return row and row.n

    assert n() == 3
    assert n(channel="email") == 2
    assert n(touchpoint="checkout") == 2
    assert n(segment="gold") == 2
    assert n(region="APAC") == 1
    assert n(theme=str(late.pk)) == 2
    assert n(sentiment="negative") == 2
    assert n(channel="email", segment="gold", sentiment="positive") == 1
    assert n(channel="call") is None  # nothing matches: no row at all
    response = page.get(URL, {**base, "group_by": "theme", "channel": "chat", "region": "EMEA"})
    [row] = response.context["rows"]
    assert row.group == "Delivery"
    assert query_of(row.inbox) == {
        "answer": "nps",
        "channel": "chat",
        "region": "EMEA",
        "theme": str(late.pk),
    }
    described = dict(response.context["described"])
    assert (described["Channel"], described["Region"], described["Period"]) == ("chat", "EMEA", "all time")


def test_too_few_is_flagged_below_min_n_and_not_above(login, cast):
    nps_items(cast.workspace, [10] * MIN_N, channel="email")
    nps_items(cast.workspace, [10] * (MIN_N - 1), channel="chat")
    response = login(cast.viewer).get(URL, {"metric": "nps", "group_by": "channel", "period": "all"})
    assert {r.group: r.too_few for r in response.context["rows"]} == {"Email": False, "Chat": True}


def test_labels_from_the_data_are_escaped_in_the_table_and_the_chart(login, cast):
    nps_items(cast.workspace, [10], source="<script>alert(1)</script>")
    response = login(cast.viewer).get(URL, {"metric": "nps", "group_by": "source", "period": "all"})
    html = response.content.decode()
    assert "<script>alert" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # menu, chart, its data table, the table


# -- downloads -----------------------------------------------------------------------------------------------
def test_csv_export_has_the_filters_a_header_and_the_figures(login, cast):
    nps_items(cast.workspace, [10, 9, 9, 8, 3], channel="email", at=JAN)
    nps_items(cast.workspace, [10, 2, 5, 6], channel="email", at=FEB)
    nps_items(cast.workspace, [10], channel="chat", at=FEB)
    params = {"metric": "nps", "group_by": "month", "channel": "email", **Q1, "format": "csv"}
    response = login(cast.viewer).get(EXPORT, params)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="cxloop-nps-by-month-2026-01-01-to-2026-03-31.csv"'
    )
    first, *body = response.content.decode().splitlines()
    assert first.startswith(
        "# CX Loop explorer: Metric: NPS; Group by: Month; Period: 2026-01-01 to 2026-03-31"
    )
    assert "Channel: email" in first
    table = list(csv.reader(io.StringIO("\n".join(body))))
    assert table[0] == ["metric", "group", "group2", "value", "ci_low", "ci_high", "n", "too_few"]
    jan = stats.nps(3, 1, 1)
    metric, group, group2, value, low, high, n, too_few = table[1]
    assert (metric, group, group2, float(value), n, too_few) == ("nps", "2026-01", "", 40.0, "5", "true")
    assert float(low) == pytest.approx(jan.low, abs=1e-4) and float(high) == pytest.approx(jan.high, abs=1e-4)
    assert table[2][1:4] == ["2026-02", "", "-50.0"] and len(table) == 3  # chat's answer filtered out


def test_xlsx_export_reads_back_with_the_filters_on_a_second_sheet(login, cast):
    nps_items(cast.workspace, [10, 0], channel="email", source="=HYPERLINK(1)")
    nps_items(cast.workspace, [9], channel="chat", source="web")
    params = {"metric": "nps", "group_by": "source", "then_by": "channel", "period": "all", "format": "xlsx"}
    response = login(cast.viewer).get(EXPORT, params)
    assert response.status_code == 200
    assert "cxloop-nps-by-source-channel-all-time.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Results", "About"]
    data = [list(r) for r in book["Results"].iter_rows(values_only=True)]
    assert data[0] == ["metric", "group", "group2", "value", "ci_low", "ci_high", "n", "too_few"]
    assert data[1][:4] == ["nps", "'=HYPERLINK(1)", "email", 0] and data[1][6:] == [2, True]
    assert data[2][:4] == ["nps", "web", "chat", 100]
    assert data[2][5] == pytest.approx(stats.nps(1, 0, 0).high, abs=1e-4)
    about = dict(book["About"].iter_rows(values_only=True))
    assert about["Metric"] == "NPS" and about["Then by"] == "Channel" and about["Period"] == "all time"
    assert about["Time zone"] == "UTC"


def test_csv_quotes_a_label_a_spreadsheet_would_run(login, cast):
    nps_items(cast.workspace, [10], source="@SUM(A1)")
    response = login(cast.viewer).get(EXPORT, {"metric": "nps", "group_by": "source", "period": "all",
                                               "format": "csv"})  # fmt: skip
    table = list(csv.reader(io.StringIO(response.content.decode().split("\n", 1)[1])))
    assert table[1][1] == "'@SUM(A1)"


# -- bad input -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"metric": "churn"}, "metric", "Unknown metric"),
        ({"metric": "nps", "group_by": "planet"}, "group_by", "Unknown group"),
        ({"metric": "nps", "group_by": "month", "then_by": "month"}, "then_by", "other than the first"),
        ({"metric": "nps", "then_by": "channel"}, "then_by", "first group before"),
        (
            {"metric": "nps", "period": "custom", "since": "2026-03-01", "until": "2026-02-01"},
            "until",
            "before",
        ),
        ({"metric": "nps", "period": "custom", "since": "01/02/2026"}, "since", "YYYY-MM-DD"),
        ({"metric": "nps", "period": "forever"}, "period", "Unknown period"),
        ({"metric": "nps", "channel": "pigeon"}, "channel", "Unknown channel"),
        ({"metric": "nps", "sentiment": "meh"}, "sentiment", "Unknown sentiment"),
        ({"metric": "nps", "theme": "not-a-number"}, "theme", "Unknown theme"),
        ({"metric": "theme_share", "period": "all"}, "metric", "theme"),  # the engine's own rule
    ],
)
def test_bad_input_is_answered_with_a_message_beside_its_field(login, cast, params, field, words):
    nps_items(cast.workspace, [10])
    page = login(cast.viewer)
    response = page.get(URL, params)
    assert response.status_code == 200
    assert words in response.context["errors"][field]
    assert response.context["result"] is None and response.context["rows"] == []
    html = response.content.decode()
    assert 'role="alert"' in html and 'aria-invalid="true"' in html
    exported = page.get(EXPORT, {**params, "format": "csv"})
    assert exported.status_code == 400 and exported["Content-Type"].startswith("text/html")


def test_export_needs_a_known_format(login, cast):
    response = login(cast.viewer).get(EXPORT, {"metric": "nps", "format": "pdf"})
    assert response.status_code == 400
    assert "csv, xlsx or png" in response.context["errors"]["format"]


# -- isolation and cost --------------------------------------------------------------------------------------
def test_outsider_sees_none_of_acme_figures_page_or_export(login, cast):
    delivery = Theme.objects.create(workspace=cast.workspace, name="Delivery")
    gold = Customer.objects.create(workspace=cast.workspace, segment="acme-gold")
    nps_items(
        cast.workspace, [10, 9, 0], channel="email", source="acme-crm", customer=gold, themes=[delivery]
    )
    nps_items(cast.other_workspace, [5], channel="chat", source="other-form")
    page = login(cast.outsider)
    response = page.get(URL, {"metric": "nps", "group_by": "source", "period": "all"})
    assert [(r.group, r.n) for r in response.context["rows"]] == [("other-form", 1)]
    html = response.content.decode()
    assert "acme-crm" not in html and "acme-gold" not in html and "Delivery" not in html
    # Acme's theme id is no filter for the outsider: it is an unknown theme, not Acme's figures
    response = page.get(URL, {"metric": "nps", "theme": str(delivery.pk), "period": "all"})
    assert "Unknown theme" in response.context["errors"]["theme"] and response.context["rows"] == []
    # Acme's values as filters find nothing of Acme
    response = page.get(URL, {"metric": "nps", "source": "acme-crm", "segment": "acme-gold", "period": "all"})
    assert response.context["rows"] == []
    exported = page.get(EXPORT, {"metric": "nps", "group_by": "source", "period": "all", "format": "csv"})
    text = exported.content.decode()
    assert "acme" not in text and "other-form" in text
    exported = page.get(EXPORT, {"metric": "nps", "group_by": "segment", "period": "all", "format": "xlsx"})
    book = load_workbook(io.BytesIO(exported.content))
    assert [r[1:3] for r in book["Results"].iter_rows(min_row=2, values_only=True)] == [(None, None)]
    assert Theme.objects.filter(workspace=cast.workspace).count() == 1  # nothing of Acme changed


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, params).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_data(login, cast):
    page = login(cast.viewer)
    params = {"metric": "nps", "group_by": "month", "then_by": "source", "period": "all"}
    nps_items(cast.workspace, [10], source="a")
    few = _queries(page, params)
    for i in range(12):
        Customer.objects.create(workspace=cast.workspace, segment=f"s{i}")
        Theme.objects.create(workspace=cast.workspace, name=f"Theme {i}")
        nps_items(cast.workspace, [i % 11] * 3, source=f"source {i}", at=datetime(2025, i + 1, 3, tzinfo=UTC))
    many = page.get(URL, params)
    assert len(many.context["rows"]) == 13
    assert len(many.context["charts"]) == views_explorer.MAX_CHARTS  # small multiples: the largest sources
    assert (
        many.context["chart_note"]
        == "Charts for the 6 largest of 13 source values; the table lists them all."
    )
    assert _queries(page, params) == few
    # session, user, membership, switcher; themes, sources, segments; the metric: one query
    assert few == 8


# -- small parts ---------------------------------------------------------------------------------------------
def test_period_of_each_time_label():
    assert views_explorer.period_of("day", "2026-02-03") == (date(2026, 2, 3), date(2026, 2, 3))
    assert views_explorer.period_of("week", "2026-01-05") == (date(2026, 1, 5), date(2026, 1, 11))
    assert views_explorer.period_of("month", "2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert views_explorer.period_of("quarter", "2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert views_explorer.period_of("month", "Feb 2026") is None


def test_values_are_formatted_per_metric():
    fmt = views_explorer.fmt
    assert [fmt("nps", 12.4), fmt("nps", -3.6), fmt("nps", 0.3), fmt("sentiment", 99.6)] == [
        "+12",
        "−4",
        "0",
        "+100",
    ]
    assert [fmt("csat", 82.46), fmt("ces", 3.456), fmt("rating", 4), fmt("volume", 12345.0)] == [
        "82%", "3.46", "4.00", "12,345",
    ]  # fmt: skip
    assert fmt("nps", None) == "–"


def test_the_mean_of_one_question_by_its_key(login, cast):
    for v in (2, 4, 9):
        item = make(cast.workspace, ("number", v), at=JAN)
        Answer.objects.filter(item=item).update(key="items_bought")
    page = login(cast.viewer)
    response = page.get(URL, {"metric": "mean", "answer_key": "items_bought", **Q1})
    [(label, _, value, _, n, few)] = rows(response)
    assert (label, value, n, few) == ("All feedback", "5.00", 3, True)
    assert all(r.inbox is None for r in response.context["rows"])  # the Inbox cannot filter by a question
    missing = page.get(URL, {"metric": "mean", **Q1})
    assert missing.status_code == 200 and "answer_key" in missing.content.decode()


def test_png_download_draws_the_charts_of_the_selection(login, cast):
    import io

    from PIL import Image

    nps_items(cast.workspace, [10, 9, 3], at=JAN)
    nps_items(cast.workspace, [10, 2], at=FEB)
    page = login(cast.viewer)
    response = page.get(EXPORT, {"metric": "nps", "group_by": "month", **Q1, "format": "png"})
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].endswith('.png"')
    img = Image.open(io.BytesIO(response.content))
    assert img.format == "PNG" and img.width >= 1000  # a 560-pixel chart at twice its size
    nothing = {"metric": "nps", "group_by": "month", "since": "2020-01-01", "until": "2020-02-01"}
    empty = page.get(EXPORT, {**nothing, "period": "custom", "format": "png"})
    assert empty.status_code == 400 and "no chart" in empty.content.decode()
