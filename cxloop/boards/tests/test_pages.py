"""The dashboard pages: each widget kind's figures on the hand-counted shop (tests/conftest.py), the
dashboard-wide filters and the widget's own slice, drill-down links the Inbox answers with exactly the
feedback behind a figure, who sees and who edits, workspace isolation, the Explorer's "Save as widget",
and the page's query count."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cxloop.accounts.tests.helpers import assert_shows_no_acme_data
from cxloop.boards import services
from cxloop.boards.models import Dashboard, Widget
from cxloop.customers.models import Customer
from cxloop.metrics import drivers, stats
from cxloop.metrics import views_explorer as explorer
from cxloop.metrics.engine import MetricFilter

from .conftest import JULY, JUNE_JULY, at, make


def url(board, suffix: str = "") -> str:
    return f"/dashboards/boards/{board.pk}/{suffix}"


def show(client, board, params=JULY):
    response = client.get(url(board), params)
    assert response.status_code == 200
    return response


def widget(response, index: int = 0):
    rendered = response.context["rendered"][index]
    assert not rendered.error, rendered.error
    return rendered


def inbox_ids(client, link: str) -> set[int]:
    response = client.get(link)  # a link from the context, not from the HTML: no entities to decode
    assert response.status_code == 200
    assert response.context["next_cursor"] is None
    return {item.pk for item in response.context["items"]}


def query_of(link: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


# -- each kind of widget -------------------------------------------------------------------------------------
def test_metric_card_shows_the_hand_counted_nps_its_interval_and_the_significant_drop(
    cast, login, shop, board_with
):
    board = board_with({"kind": "metric_card", "metric": "nps", "title": "NPS"})
    response = show(login(cast.viewer), board)
    d = widget(response).data

    expected = stats.nps(20, 10, 10)
    assert (d["value"], d["n"], d["too_few"]) == ("+25", 40, False)
    assert d["interval"] == explorer.fmt_interval("nps", expected.low, expected.high) == "−1 to +48"
    assert d["direction"] == "down"
    assert d["change"].startswith("−75.0 points against 2026-05-31 to 2026-06-30: significant (")
    assert inbox_ids(login(cast.viewer), d["inbox"]) == set(
        Widget.objects.none().values_list("pk", flat=True)
    ) | set(  # the 40 July items with an NPS answer
        a for a in _items_with("nps", cast.workspace, "2026-07-01", "2026-08-01")
    )
    content = response.content.decode()
    assert "+25" in content and "95% CI −1 to +48 · n=40" in content


def _items_with(kind, workspace, since, until):
    from cxloop.feedback.models import Answer

    return set(
        Answer.objects.filter(
            workspace=workspace, type=kind, occurred_at__gte=at(since, 0), occurred_at__lt=at(until, 0)
        ).values_list("item_id", flat=True)
    )


def test_a_card_with_too_few_answers_is_greyed_with_its_n(cast, login, shop, board_with):
    board = board_with({"kind": "metric_card", "metric": "csat"})
    d = widget(show(login(cast.viewer), board)).data
    assert (d["value"], d["n"], d["too_few"]) == ("67%", 12, True)
    assert d["change"] == "Nothing to compare with: no answers from 2026-05-31 to 2026-06-30."


def test_trend_by_week_links_every_week_to_exactly_its_answers(cast, login, shop, board_with):
    board = board_with({"kind": "trend", "metric": "nps", "group_by": "week"})
    client = login(cast.viewer)
    d = widget(show(client, board)).data
    assert [(r.group, r.value, r.n, r.too_few) for r in d["rows"]] == [
        ("2026-06-29", "+100", 20, True),  # the week of Friday 3 July
        ("2026-07-06", "0", 10, True),
        ("2026-07-20", "−100", 10, True),
    ]
    assert d["chart"].title == "NPS by week"
    for row in d["rows"]:
        span = explorer.period_of("week", row.group)
        since, until = max(span[0].isoformat(), "2026-07-01"), span[1].isoformat()
        assert inbox_ids(client, row.inbox) == _items_with("nps", cast.workspace, since, _next(until))


def _next(day: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def test_a_trend_without_a_group_follows_the_dashboards_step(cast, login, shop, board_with):
    board = board_with({"kind": "trend", "metric": "nps"})
    d = widget(show(login(cast.viewer), board, JUNE_JULY)).data  # 61 days: by week
    assert d["group"] == "week"
    d = widget(
        show(login(cast.viewer), board, {"period": "custom", "since": "2026-07-18", "until": "2026-07-24"})
    ).data
    assert d["group"] == "day"
    assert [(r.group, r.n) for r in d["rows"]] == [("2026-07-20", 10)]


def test_bars_show_nps_by_region_with_intervals_and_links(cast, login, shop, board_with):
    board = board_with({"kind": "bar", "metric": "nps", "group_by": "region"})
    client = login(cast.viewer)
    response = show(client, board)
    d = widget(response).data
    assert [(r.group, r.value, r.interval, r.n, r.too_few) for r in d["rows"]] == [
        ("South East", "+67", explorer.fmt_interval("nps", *_ci(20, 10, 0)), 30, False),
        ("North West", "−100", explorer.fmt_interval("nps", *_ci(0, 0, 10)), 10, True),
    ]
    assert query_of(d["rows"][1].inbox) == {
        "answer": "nps", "region": "North West", "since": "2026-07-01", "until": "2026-07-31"
    }  # fmt: skip
    assert inbox_ids(client, d["rows"][1].inbox) == {i.pk for i in shop["nw"].feedback_items.all()}
    assert "<svg" in response.content.decode() and "Data table: NPS by Region" in response.content.decode()


def _ci(promoters, passives, detractors):
    est = stats.nps(promoters, passives, detractors)
    return est.low, est.high


def test_heatmap_region_by_month_has_each_cell_with_its_figure_and_link(cast, login, shop, board_with):
    board = board_with({"kind": "heatmap", "metric": "nps", "group_by": "region", "then_by": "month"})
    client = login(cast.viewer)
    d = widget(show(client, board, JUNE_JULY)).data
    assert d["columns"] == ["2026-06", "2026-07"]
    grid = {
        label: [(c["value"], c["n"], c["heat"]) if c else None for c in cells] for label, cells in d["grid"]
    }
    assert grid == {
        "South East": [("+100", 40, "heat-5"), ("+67", 30, "heat-5")],
        "North West": [None, ("−100", 10, "heat-few")],
    }
    north_july = d["grid"][1][1][1]
    assert query_of(north_july["inbox"])["since"] == "2026-07-01"
    assert inbox_ids(client, north_july["inbox"]) == {i.pk for i in shop["nw"].feedback_items.all()}
    assert [(r.group, r.group2, r.n) for r in d["table"]] == [
        ("South East", "2026-06", 40), ("South East", "2026-07", 30), ("North West", "2026-07", 10)
    ]  # fmt: skip


def test_verbatims_are_the_newest_negative_texts_with_links(cast, login, shop, board_with):
    board = board_with({"kind": "verbatims", "filters": {"sentiment": "negative"}})
    client = login(cast.viewer)
    response = show(client, board)
    d = widget(response).data
    assert [i.text for i in d["items"]] == [f"Parcel {i} arrived a week late" for i in range(9, 1, -1)]
    assert query_of(d["inbox"])["sentiment"] == "negative"
    assert len(inbox_ids(client, d["inbox"])) == 10
    assert f'href="/inbox/{d["items"][0].pk}/"' in response.content.decode()


def test_top_themes_and_themes_rising(cast, login, shop, board_with):
    board = board_with({"kind": "themes", "metric": "volume"}, {"kind": "themes", "metric": "theme_share"})
    client = login(cast.viewer)
    response = show(client, board)
    top = widget(response, 0).data
    assert [(t["label"], t["n"], t["width"]) for t in top["themes"]] == [("Sizing runs small", 25, "w10")]
    assert query_of(top["themes"][0]["inbox"])["theme"] == str(shop["sizing"].pk)
    assert len(inbox_ids(client, top["themes"][0]["inbox"])) == 25
    moves = widget(response, 1).data
    assert (moves["mode"], moves["falling"], moves["tested"]) == ("moves", [], 1)
    [rising] = moves["rising"]
    # July: 25 of the 35 read texts (71%); June: none of the 30
    assert (rising["label"], rising["before"], rising["now"]) == ("Sizing runs small", "0%", "71%")
    assert rising["difference"] == "+71.4 points"


def test_driver_matrix_shows_what_the_key_driver_analysis_finds(cast, login, shop, board_with):
    for i in range(30):  # more VIP detractors: the segment is now on 40 items, a driver of NPS
        make(cast.workspace, at("2026-07-22") + timedelta(hours=i), ("nps", 2), customer=shop["nw"])
    board = board_with({"kind": "driver_matrix", "metric": "nps"})
    d = widget(show(login(cast.viewer), board, JUNE_JULY)).data
    direct = drivers.key_drivers(
        workspace=cast.workspace,
        outcome="nps",
        filters=MetricFilter(since=at("2026-06-01", 0), until=at("2026-08-01", 0)),
    )
    assert d["result"].n == direct.n == 110
    assert [(x["name"], x["quadrant"], x["direction"]) for x in d["drivers"]] == [
        (x.name, x.quadrant, x.direction) for x in direct.drivers
    ]
    assert d["drivers"] and d["drivers"][0]["direction"] == "down"  # VIPs score lower
    assert d["chart"].title == "Driver matrix of NPS"


def test_driver_matrix_without_enough_data_says_why(cast, login, shop, board_with):
    board = board_with({"kind": "driver_matrix", "metric": "nps"})
    d = widget(show(login(cast.viewer), board, JUNE_JULY)).data
    assert (d["chart"], d["drivers"]) == (None, [])
    assert d["result"].reason.startswith("No theme, answer or customer attribute is on at least 30 of the 80")


# -- filters -------------------------------------------------------------------------------------------------
def test_dashboard_wide_filters_apply_to_every_widget(cast, login, shop, board_with):
    board = board_with(
        {"kind": "metric_card", "metric": "nps"},
        {"kind": "bar", "metric": "nps", "group_by": "touchpoint"},
        {"kind": "verbatims"},
    )
    response = show(login(cast.viewer), board, {**JULY, "region": "North West"})
    assert (widget(response, 0).data["value"], widget(response, 0).data["n"]) == ("−100", 10)
    assert [(r.group, r.n) for r in widget(response, 1).data["rows"]] == [("delivery", 10)]
    assert all(i.customer_id == shop["nw"].pk for i in widget(response, 2).data["items"])
    assert query_of(widget(response, 0).data["inbox"])["region"] == "North West"


def test_the_dashboards_default_filters_apply_until_the_form_changes_them(cast, login, shop, board_with):
    board = board_with({"kind": "metric_card", "metric": "nps"}, filters={**JULY, "touchpoint": "product"})
    client = login(cast.viewer)
    response = client.get(url(board))
    assert response.context["defaults_used"] is True
    assert (widget(response).data["value"], widget(response).data["n"]) == ("+67", 30)
    response = show(client, board, JULY)  # the form asked for: its values, not the defaults
    assert widget(response).data["n"] == 40


def test_the_widgets_own_value_wins_and_says_so(cast, login, shop, board_with):
    board = board_with({"kind": "metric_card", "metric": "nps", "filters": {"region": "South East"}})
    response = show(login(cast.viewer), board, {**JULY, "region": "North West"})
    rendered = widget(response)
    assert (rendered.data["value"], rendered.data["n"]) == ("+67", 30)
    assert rendered.notes == [
        "Only region South East.",
        "This widget keeps region South East: the dashboard's region filter (North West) does not apply "
        "to it.",
    ]
    assert "does not apply to it." in response.content.decode()


def test_country_and_plan_filter_the_figures_but_give_no_inbox_links(cast, login, shop, board_with):
    board = board_with({"kind": "bar", "metric": "nps", "group_by": "touchpoint", "filters": {"plan": "pro"}})
    d = widget(show(login(cast.viewer), board)).data
    assert [(r.group, r.value, r.n, r.inbox) for r in d["rows"]] == [("delivery", "−100", 10, None)]


def test_bad_filters_are_named_and_show_no_figures(cast, login, shop, board_with):
    board = board_with({"kind": "metric_card", "metric": "nps"})
    response = show(
        login(cast.viewer), board, {"period": "custom", "since": "2026-07-31", "until": "2026-07-01"}
    )
    assert response.context["errors"] == {"until": "The end date is before the start date."}
    assert response.context["rendered"] == []


def test_a_widget_the_filters_make_impossible_says_why_and_the_others_still_show(
    cast, login, shop, board_with
):
    board = board_with(
        {"kind": "metric_card", "metric": "response_rate"}, {"kind": "metric_card", "metric": "nps"}
    )
    response = show(login(cast.viewer), board, {**JULY, "touchpoint": "delivery"})
    first, second = response.context["rendered"]
    assert first.error.startswith("This widget cannot be drawn with these filters: The response rate")
    assert (second.error, second.data["n"]) == ("", 10)


def test_an_empty_workspace_says_so(cast, login, board_with):
    board = board_with({"kind": "metric_card", "metric": "nps"})
    response = login(cast.viewer).get(url(board))
    assert response.status_code == 200 and response.context["no_data"] is True
    assert "No feedback in this workspace yet" in response.content.decode()


# -- who sees, who edits -------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["owner", "admin", "agent", "viewer"])
def test_a_private_dashboard_is_invisible_to_other_members(cast, login, shop, board_with, role):
    board = board_with({"kind": "metric_card", "metric": "nps"}, shared=False, name="Analyst's secret")
    client = login(cast.user(role))
    for path in ("", "edit/", "delete/"):
        assert client.get(url(board, path)).status_code in (
            404,
            403 if role in ("agent", "viewer") and path else 404,
        )
    assert "Analyst&#x27;s secret" not in client.get("/dashboards/boards/").content.decode()
    assert login(cast.analyst).get(url(board), JULY).status_code == 200


def test_anonymous_visitors_are_sent_to_login(client, cast, board_with):
    board = board_with()
    for path in ("/dashboards/boards/", url(board), url(board, "edit/")):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_viewer_sees_a_shared_dashboard_but_cannot_edit_it(cast, login, shop, board_with):
    board = board_with({"kind": "metric_card", "metric": "nps"})
    client = login(cast.viewer)
    response = show(client, board)
    assert "Edit this dashboard" not in response.content.decode()
    w = board.widgets.get()
    attempts = [
        (url(board, "edit/"), {"name": "Mine", "shared": "on"}),
        (url(board, "widgets/"), {"kind": "metric_card", "metric": "csat"}),
        (url(board, f"widgets/{w.pk}/remove/"), {}),
        (url(board, f"widgets/{w.pk}/move/"), {"direction": "down"}),
        (url(board, "delete/"), {}),
        ("/dashboards/boards/new/", {"name": "Mine"}),
        ("/dashboards/boards/from-template/", {"template": "agent"}),
        ("/dashboards/boards/save-widget/", {"dashboard": board.pk, "metric": "nps"}),
    ]
    for path, data in attempts:
        assert client.post(path, data).status_code == 403, path
    assert client.get(url(board, "edit/")).status_code == 403
    assert list(Dashboard.objects.values_list("name", flat=True)) == ["Ops"]
    assert list(board.widgets.values_list("metric", flat=True)) == ["nps"]


def test_another_analyst_cannot_edit_a_shared_dashboard_but_an_admin_can(cast, login, shop, board_with):
    board = board_with({"kind": "metric_card", "metric": "nps"}, role="owner")
    assert login(cast.analyst).get(url(board), JULY).status_code == 200
    assert login(cast.analyst).get(url(board, "edit/")).status_code == 403
    assert login(cast.analyst).post(url(board, "delete/")).status_code == 403
    admin = login(cast.admin)
    assert admin.get(url(board, "edit/")).status_code == 200
    response = admin.post(
        url(board, "edit/"), {"name": "Renamed", "description": "By the admin", "shared": "on"}
    )
    assert response.status_code == 302
    board.refresh_from_db()
    assert (board.name, board.description, board.shared) == ("Renamed", "By the admin", True)


# -- the editing pages ---------------------------------------------------------------------------------------
def test_analyst_builds_a_dashboard_through_the_pages(cast, login, shop):
    client = login(cast.analyst)
    response = client.post("/dashboards/boards/new/", {"name": "Delivery", "description": "Parcels"})
    board = Dashboard.objects.get(name="Delivery")
    assert response["Location"] == url(board, "edit/")
    response = client.post(url(board, "widgets/"), {
        "kind": "bar", "metric": "nps", "group_by": "region", "filter_touchpoint": "delivery", "size": "full",
    })  # fmt: skip
    assert response.status_code == 302
    client.post(url(board, "widgets/"), {"kind": "metric_card", "metric": "nps", "title": "NPS"})
    bar, card = board.widgets.all()
    assert (bar.filters, bar.size, card.title) == ({"touchpoint": "delivery"}, "full", "NPS")
    client.post(url(board, f"widgets/{card.pk}/move/"), {"direction": "up"})
    assert [w.pk for w in board.widgets.all()] == [card.pk, bar.pk]
    response = client.post(url(board, "edit/"), {"name": "Delivery", "period": "custom",
                                                 "since": "2026-07-01",
                                                 "until": "2026-07-31", "region": "North West"})  # fmt: skip
    assert response.status_code == 302
    board.refresh_from_db()
    assert board.filters == {**JULY, "region": "North West"}
    response = client.get(url(board))
    assert [r.widget.pk for r in response.context["rendered"]] == [card.pk, bar.pk]
    assert widget(response, 0).data["n"] == 10  # the defaults: July, North West
    client.post(url(board, f"widgets/{card.pk}/remove/"))
    assert list(board.widgets.values_list("pk", flat=True)) == [bar.pk]


def test_bad_widget_input_is_answered_beside_the_form_and_keeps_the_values(cast, login, board_with):
    board = board_with()
    response = login(cast.analyst).post(
        url(board, "widgets/"), {"kind": "bar", "metric": "nps", "title": "Keep me"}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "Bars need a group that is not time" in content and 'value="Keep me"' in content
    assert not board.widgets.exists()


def test_a_taken_name_is_a_conflict(cast, login, board_with):
    board_with(name="Ops")
    response = login(cast.analyst).post("/dashboards/boards/new/", {"name": "Ops"})
    assert response.status_code == 409
    assert "A dashboard named “Ops” exists already." in response.content.decode()


def test_delete_asks_first_then_deletes(cast, login, board_with):
    board = board_with({"kind": "metric_card", "metric": "nps"})
    client = login(cast.analyst)
    response = client.get(url(board, "delete/"))
    assert response.status_code == 200 and "Delete “Ops”" in response.content.decode()
    assert Dashboard.objects.filter(pk=board.pk).exists()
    assert client.post(url(board, "delete/"))["Location"] == "/dashboards/boards/"
    assert not Dashboard.objects.exists() and not Widget.objects.exists()


def test_a_role_template_from_the_list_page(cast, login, shop):
    client = login(cast.analyst)
    listing = client.get("/dashboards/boards/").content.decode()
    assert "Create “Executive”" in listing and "Create “Team lead”" in listing and "Create “Agent”" in listing
    response = client.post("/dashboards/boards/from-template/", {"template": "team_lead", "shared": "on"})
    board = Dashboard.objects.get()
    assert response["Location"] == url(board) and board.shared
    page = client.get(url(board), JULY)
    assert [r.widget.title for r in page.context["rendered"]] == [
        "CSAT trend", "CES trend", "Sentiment by touchpoint", "CSAT by channel", "Latest negative verbatims"
    ]  # fmt: skip
    assert all(not r.error for r in page.context["rendered"])
    assert "Team lead" in login(cast.viewer).get("/dashboards/boards/").content.decode()


# -- the Explorer's "Save as widget" -------------------------------------------------------------------------
def test_explorer_offers_save_as_widget_to_analysts_only(cast, login, shop, board_with):
    board_with(name="Analyst board")
    params = {"metric": "nps", "group_by": "month", "then_by": "region", "period": "all", "channel": "ticket"}
    content = login(cast.analyst).get("/dashboards/explorer/", params).content.decode()
    assert "Save as widget on a dashboard" in content and "Analyst board</option>" in content
    assert 'name="then_by" value="region"' in content and 'name="channel" value="ticket"' in content
    assert "Save as widget" not in login(cast.viewer).get("/dashboards/explorer/", params).content.decode()


def test_save_as_widget_from_the_explorer(cast, login, shop, board_with):
    board = board_with(name="Analyst board")
    client = login(cast.analyst)
    response = client.post("/dashboards/boards/save-widget/", {
        "dashboard": str(board.pk), "title": "NPS of tickets by region and month", "metric": "nps",
        "group_by": "month", "then_by": "region", "channel": "ticket", "theme": "", "sentiment": "",
    })  # fmt: skip
    assert response["Location"] == url(board)
    saved = board.widgets.get()
    assert (saved.kind, saved.group_by, saved.then_by, saved.filters) == (
        "heatmap",
        "region",
        "month",
        {"channel": "ticket"},
    )
    d = widget(client.get(url(board), JUNE_JULY)).data
    assert [(label, [c and c["n"] for c in cells]) for label, cells in d["grid"]] == [("North West", [10])]
    # a new dashboard
    response = client.post(
        "/dashboards/boards/save-widget/",
        {"dashboard": "new", "new_name": "Fresh", "metric": "csat", "group_by": "week"},
    )
    fresh = Dashboard.objects.get(name="Fresh")
    assert response["Location"] == url(fresh)
    assert list(fresh.widgets.values_list("kind", "group_by")) == [("trend", "week")]
    # bad input: back to the explorer with the selection and a message
    response = client.post(
        "/dashboards/boards/save-widget/",
        {"dashboard": "new", "new_name": "", "metric": "nps", "group_by": "region"},
        follow=True,
    )
    assert response.redirect_chain[0][0] == "/dashboards/explorer/?" + urlencode(
        {"metric": "nps", "group_by": "region"}
    )
    assert "The widget was not saved: Choose a dashboard, or name a new one." in response.content.decode()


# -- isolation and cost --------------------------------------------------------------------------------------
def test_outsider_sees_and_changes_nothing_of_acme_dashboards(cast, login, shop, board_with):
    board = board_with({"kind": "metric_card", "metric": "nps"}, {"kind": "verbatims"}, name="Secret plans")
    w = board.widgets.first()
    other = cast.other_workspace
    mine = Customer.objects.create(workspace=other, region="Highlands", name="Olga Other")
    for i in range(3):
        make(
            other,
            at("2026-07-04") + timedelta(hours=i),
            ("nps", 9),
            customer=mine,
            text=f"Other words {i}",
        )
    client = login(cast.outsider)
    for path in ("", "edit/", "delete/"):
        assert client.get(url(board, path), JULY).status_code == 404
    posts = [
        (url(board, "edit/"), {"name": "Taken"}),
        (url(board, "widgets/"), {"kind": "metric_card", "metric": "csat"}),
        (url(board, f"widgets/{w.pk}/remove/"), {}),
        (url(board, f"widgets/{w.pk}/move/"), {"direction": "down"}),
        (url(board, "delete/"), {}),
        ("/dashboards/boards/save-widget/", {"dashboard": str(board.pk), "metric": "nps"}),
    ]
    for path, data in posts:
        assert client.post(path, data).status_code == 404, path
    listing = client.get("/dashboards/boards/")
    assert_shows_no_acme_data(listing, "Secret plans")
    # what they create lands in their own workspace (the name Acme uses is free there)
    client.post("/dashboards/boards/new/", {"name": "Secret plans"})
    client.post("/dashboards/boards/from-template/", {"template": "agent"})
    assert sorted(Dashboard.objects.filter(workspace=other).values_list("name", flat=True)) == [
        "Agent",
        "Secret plans",
    ]
    Dashboard.objects.filter(workspace=other).delete()
    # their own dashboard with the same widgets shows their own figures only, whatever Acme values are asked
    theirs = board_with(
        {"kind": "metric_card", "metric": "nps"}, {"kind": "verbatims"}, role="outsider", name="Mine"
    )
    for params in (JULY, {**JULY, "region": "North West"}):
        response = show(client, theirs, params)
        assert_shows_no_acme_data(
            response, "Nora West", "Sam East", "Parcel", "Sizing runs small", "South East"
        )
        for link in re.findall(r'href="(/inbox/\?[^"]+)"', response.content.decode()):
            assert all(i.workspace_id == other.pk for i in client.get(unescape(link)).context["items"])
    assert widget(show(client, theirs), 0).data["n"] == 3
    assert list(Dashboard.objects.filter(workspace=cast.workspace).values_list("name", flat=True)) == [
        "Secret plans"
    ]
    assert board.widgets.count() == 2


def _queries(client, board, params=JULY) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url(board), params).status_code == 200
    return len(ctx.captured_queries)


PER_WIDGET = 8  # the most any widget reads: the driver matrix (drivers.py), theme changes (six)


def test_the_page_reads_a_number_of_queries_bounded_by_its_widgets(cast, client, shop, member_of):
    client.force_login(cast.viewer)
    empty = Dashboard.objects.create(workspace=cast.workspace, name="Empty", shared=True)
    fixed = _queries(client, empty)  # the shell, the dashboard, its widgets, first feedback, three menus
    executive = services.dashboard_from_template(
        member=member_of("analyst"), template="executive", shared=True
    )
    lead = services.dashboard_from_template(member=member_of("analyst"), template="team_lead", shared=True)
    for board in (executive, lead):
        count = _queries(client, board)
        assert count <= fixed + PER_WIDGET * board.widgets.count()
    # cards are two queries each, trends, bars and verbatims one: the team lead's five widgets, five queries
    assert _queries(client, lead) == fixed + 5
    before = _queries(client, executive)
    ws = cast.workspace
    for i in range(60):  # more data, regions and themes: the same number of queries
        customer = Customer.objects.create(workspace=ws, region=f"Region {i % 7}")
        make(
            ws,
            at("2026-07-25") + timedelta(minutes=i),
            ("nps", i % 11),
            ("csat", 1 + i % 5),
            customer=customer,
        )
    assert _queries(client, executive) == before
