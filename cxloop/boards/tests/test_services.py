"""Dashboards and widgets through their services: every field validated per kind, who may change what,
the role templates' widgets, moving and removing widgets, and the Explorer's selection as a widget."""

from __future__ import annotations

import pytest

from cxloop.analysis.models import Theme
from cxloop.boards import selectors, services
from cxloop.boards.models import Dashboard, Widget
from cxloop.core.exceptions import Conflict, NotFound, PermissionDenied, ServiceError


def kinds(board) -> list[tuple]:
    return [(w.kind, w.metric, w.group_by, w.then_by, w.filters, w.size) for w in board.widgets.all()]


# -- dashboards ----------------------------------------------------------------------------------------------
def test_analyst_creates_a_private_dashboard_with_clean_default_filters(member_of):
    board = services.dashboard_create(
        member=member_of("analyst"),
        name="  Delivery   watch ",
        description="Late parcels",
        filters={"period": "90", "region": " North West ", "since": "2026-01-01", "channel": ""},
    )
    board.refresh_from_db()
    assert (board.name, board.shared, board.created_by.email) == (
        "Delivery watch",
        False,
        "analyst@acme.example",
    )
    # dates only belong to a custom period; empty values are dropped
    assert board.filters == {"period": "90", "region": "North West"}


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"name": " "}, "name", "Give the dashboard a name"),
        ({"name": "x" * 121}, "name", "longer than 120"),
        ({"description": "d" * 2001}, "description", "longer than 2000"),
        ({"filters": {"period": "7"}}, "period", "Unknown period"),
        ({"filters": {"period": "custom", "since": "2026-07-01"}}, "until", "both dates"),
        ({"filters": {"period": "custom", "since": "2026-07-31", "until": "2026-07-01"}}, "until", "before"),
        ({"filters": {"channel": "pigeon"}}, "channel", "Unknown channel"),
        ({"filters": {"plan": "pro"}}, "filters", "Unknown dashboard filter"),
    ],
)
def test_bad_dashboard_fields_are_refused_naming_the_field(member_of, fields, field, words):
    with pytest.raises(ServiceError) as caught:
        services.dashboard_create(member=member_of("analyst"), **{"name": "Ops", **fields})
    assert caught.value.field == field
    assert words in caught.value.message
    assert not Dashboard.objects.exists()


def test_a_name_is_unique_in_the_workspace_but_not_across_workspaces(member_of):
    services.dashboard_create(member=member_of("analyst"), name="Ops")
    with pytest.raises(Conflict):
        services.dashboard_create(member=member_of("owner"), name="Ops")
    services.dashboard_create(member=member_of("outsider"), name="Ops")
    assert Dashboard.objects.filter(name="Ops").count() == 2


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_cannot_build_dashboards(member_of, role):
    with pytest.raises(PermissionDenied):
        services.dashboard_create(member=member_of(role), name="Mine")
    with pytest.raises(PermissionDenied):
        services.dashboard_from_template(member=member_of(role), template="agent")
    assert not Dashboard.objects.exists()


def test_who_may_edit_a_shared_and_a_private_dashboard(member_of, cast):
    from cxloop.accounts.models import Membership

    Membership.objects.create(workspace=cast.workspace, user=cast.outsider, role="analyst")
    creator, other_analyst = (
        member_of("analyst"),
        Membership.objects.get(user=cast.outsider, workspace=cast.workspace),
    )
    shared = services.dashboard_create(member=creator, name="Shared", shared=True)
    private = services.dashboard_create(member=creator, name="Private")
    allowed = {
        role: selectors.can_edit(shared, member_of(role))
        for role in ("owner", "admin", "analyst", "agent", "viewer")
    }
    assert allowed == {"owner": True, "admin": True, "analyst": True, "agent": False, "viewer": False}
    assert not selectors.can_edit(shared, other_analyst)  # another analyst: not theirs
    with pytest.raises(PermissionDenied):
        services.dashboard_update(member=other_analyst, dashboard=shared, name="Mine now", description="",
                                  shared=True, filters={})  # fmt: skip
    for role in ("owner", "admin"):  # a private dashboard is its creator's alone
        with pytest.raises(NotFound):
            services.widget_add(member=member_of(role), dashboard=private, kind="metric_card", metric="nps")
    with pytest.raises(NotFound):  # another workspace's dashboard is not found at all
        services.dashboard_delete(member=member_of("outsider"), dashboard=shared)
    assert Dashboard.objects.count() == 2 and not Widget.objects.exists()


def test_members_see_shared_dashboards_and_only_their_own_private_ones(member_of):
    services.dashboard_create(member=member_of("analyst"), name="Team", shared=True)
    services.dashboard_create(member=member_of("analyst"), name="Analyst's own")
    services.dashboard_create(member=member_of("owner"), name="Owner's own")
    seen = {
        role: [b.name for b in selectors.dashboards_for(member=member_of(role))]
        for role in ("analyst", "owner", "viewer", "outsider")
    }
    assert seen == {
        "analyst": ["Analyst's own", "Team"],
        "owner": ["Owner's own", "Team"],
        "viewer": ["Team"],
        "outsider": [],
    }


# -- widgets -------------------------------------------------------------------------------------------------
def test_a_widget_keeps_its_fields_with_defaults_per_kind(member_of, shop):
    member = member_of("analyst")
    board = services.dashboard_create(member=member, name="Ops")
    services.widget_add(member=member, dashboard=board, kind="heatmap", metric="nps", group_by="region",
                        then_by="month")  # fmt: skip
    services.widget_add(member=member, dashboard=board, kind="bar", metric="csat", group_by="channel",
                        filters={"touchpoint": " delivery ", "channel": "",
                                 "theme": str(shop["sizing"].pk)})  # fmt: skip
    services.widget_add(member=member, dashboard=board, kind="themes", title="What they talk about")
    services.widget_add(member=member, dashboard=board, kind="verbatims", filters={"sentiment": "negative"})
    assert kinds(board) == [
        ("heatmap", "nps", "region", "month", {}, "full"),
        ("bar", "csat", "channel", "", {"touchpoint": "delivery", "theme": shop["sizing"].pk}, "half"),
        ("themes", "volume", "theme", "", {}, "half"),
        ("verbatims", "", "", "", {"sentiment": "negative"}, "half"),
    ]
    assert [w.title for w in board.widgets.all()] == [
        "NPS by region and month",
        "CSAT (% satisfied) by channel",
        "What they talk about",
        "Latest negative verbatims",
    ]
    assert [w.position for w in board.widgets.all()] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"kind": "pie", "metric": "nps"}, "kind", "Unknown widget kind"),
        ({"kind": "metric_card", "metric": "happiness"}, "metric", "Choose a metric"),
        ({"kind": "metric_card", "metric": "nps", "group_by": "region"}, "group_by", "no groups"),
        ({"kind": "trend", "metric": "nps", "group_by": "region"}, "group_by", "over time"),
        ({"kind": "trend", "metric": "nps", "group_by": "month", "then_by": "region"}, "then_by", "heatmap"),
        ({"kind": "bar", "metric": "nps"}, "group_by", "not time"),
        ({"kind": "bar", "metric": "nps", "group_by": "week"}, "group_by", "not time"),
        ({"kind": "bar", "metric": "nps", "group_by": "colour"}, "group_by", "Unknown group"),
        ({"kind": "heatmap", "metric": "nps", "group_by": "region"}, "then_by", "two groups"),
        (
            {"kind": "heatmap", "metric": "nps", "group_by": "region", "then_by": "region"},
            "then_by",
            "different",
        ),
        ({"kind": "driver_matrix", "metric": "ces"}, "metric", "nps, csat"),
        ({"kind": "verbatims", "metric": "nps"}, "metric", "leave the metric out"),
        ({"kind": "verbatims", "filters": {"plan": "pro"}}, "filters", "not country or plan"),
        ({"kind": "themes", "metric": "nps"}, "metric", "volume, theme_share"),
        ({"kind": "themes", "group_by": "region"}, "group_by", "by theme only"),
        ({"kind": "bar", "metric": "theme_share", "group_by": "region"}, "metric", "give a theme_id"),
        ({"kind": "bar", "metric": "response_rate", "group_by": "touchpoint"}, "group_by", "response rate"),
        (
            {"kind": "metric_card", "metric": "response_rate", "filters": {"touchpoint": "x"}},
            "filters",
            "invitations",
        ),
        (
            {"kind": "metric_card", "metric": "nps", "filters": {"colour": "red"}},
            "filters",
            "Unknown widget filter",
        ),
        (
            {"kind": "metric_card", "metric": "nps", "filters": {"channel": "pigeon"}},
            "channel",
            "Unknown channel",
        ),
        (
            {"kind": "metric_card", "metric": "nps", "filters": {"sentiment": "angry"}},
            "sentiment",
            "Unknown sentiment",
        ),
        ({"kind": "metric_card", "metric": "nps", "filters": {"theme": "999999"}}, "theme", "Unknown theme"),
        (
            {"kind": "metric_card", "metric": "nps", "filters": {"region": "r" * 101}},
            "region",
            "longer than 100",
        ),
        ({"kind": "metric_card", "metric": "nps", "title": "t" * 121}, "title", "longer than 120"),
        ({"kind": "metric_card", "metric": "nps", "size": "huge"}, "size", "half or full"),
    ],
)
def test_bad_widget_fields_are_refused_naming_the_field(member_of, fields, field, words):
    member = member_of("analyst")
    board = services.dashboard_create(member=member, name="Ops")
    with pytest.raises(ServiceError) as caught:
        services.widget_add(member=member, dashboard=board, **fields)
    assert caught.value.field == field, caught.value.message
    assert words in caught.value.message
    assert not Widget.objects.exists()


def test_a_theme_of_another_workspace_is_an_unknown_theme(member_of, cast):
    theirs = Theme.objects.create(workspace=cast.other_workspace, name="Their theme")
    member = member_of("analyst")
    board = services.dashboard_create(member=member, name="Ops")
    with pytest.raises(ServiceError, match="Unknown theme"):
        services.widget_add(member=member, dashboard=board, kind="metric_card", metric="nps",
                            filters={"theme": str(theirs.pk)})  # fmt: skip


def test_widgets_move_up_and_down_and_are_removed(member_of):
    member = member_of("analyst")
    board = services.dashboard_create(member=member, name="Ops")
    a, b, c = (
        services.widget_add(member=member, dashboard=board, kind="metric_card", metric=m, title=m)
        for m in ("nps", "csat", "ces")
    )

    def order():
        return [w.title for w in board.widgets.all()]

    services.widget_move(member=member, dashboard=board, widget_id=c.pk, direction="up")
    assert order() == ["nps", "ces", "csat"]
    services.widget_move(member=member, dashboard=board, widget_id=a.pk, direction="up")  # at the top: stays
    assert order() == ["nps", "ces", "csat"]
    services.widget_move(member=member, dashboard=board, widget_id=a.pk, direction="down")
    assert order() == ["ces", "nps", "csat"]
    with pytest.raises(ServiceError):
        services.widget_move(member=member, dashboard=board, widget_id=a.pk, direction="sideways")
    services.widget_remove(member=member, dashboard=board, widget_id=b.pk)
    assert order() == ["ces", "nps"]
    other = services.dashboard_create(member=member, name="Other")
    with pytest.raises(NotFound):  # a widget id of another dashboard
        services.widget_remove(member=member, dashboard=other, widget_id=a.pk)


def test_a_dashboard_holds_at_most_max_widgets(member_of, monkeypatch):
    monkeypatch.setattr(services, "MAX_WIDGETS", 2)
    member = member_of("analyst")
    board = services.dashboard_create(member=member, name="Ops")
    for _ in range(2):
        services.widget_add(member=member, dashboard=board, kind="metric_card", metric="nps")
    with pytest.raises(ServiceError, match="at most 2 widgets"):
        services.widget_add(member=member, dashboard=board, kind="metric_card", metric="nps")


# -- role templates ------------------------------------------------------------------------------------------
def test_role_templates_create_the_expected_widgets(member_of):
    member = member_of("analyst")
    executive = services.dashboard_from_template(member=member, template="executive")
    assert executive.name == "Executive" and executive.shared is False
    assert [(k, m, g, t, f) for k, m, g, t, f, _ in kinds(executive)] == [
        ("metric_card", "nps", "", "", {}),
        ("metric_card", "csat", "", "", {}),
        ("trend", "nps", "", "", {}),
        ("heatmap", "nps", "region", "month", {}),
        ("themes", "theme_share", "theme", "", {}),
        ("driver_matrix", "nps", "", "", {}),
    ]
    lead = services.dashboard_from_template(member=member, template="team_lead", shared=True)
    assert lead.shared is True
    assert [(k, m, g, f) for k, m, g, _, f, _ in kinds(lead)] == [
        ("trend", "csat", "", {}),
        ("trend", "ces", "", {}),
        ("bar", "sentiment", "touchpoint", {}),
        ("bar", "csat", "channel", {}),
        ("verbatims", "", "", {"sentiment": "negative"}),
    ]
    agent = services.dashboard_from_template(member=member, template="agent")
    assert [(w.kind, w.metric, w.group_by, w.filters, w.title) for w in agent.widgets.all()] == [
        ("trend", "csat", "week", {"channel": "ticket"}, "CSAT of tickets by week"),
        ("trend", "csat", "week", {"channel": "chat"}, "CSAT of chats by week"),
        ("verbatims", "", "", {"sentiment": "negative"}, "Latest negative verbatims"),
        ("themes", "volume", "theme", {"channel": "ticket"}, "Top themes of tickets"),
    ]
    again = services.dashboard_from_template(member=member, template="executive")
    assert again.name == "Executive (2)"  # a template never collides with a dashboard's name
    with pytest.raises(ServiceError, match="Unknown template"):
        services.dashboard_from_template(member=member, template="intern")


# -- the Explorer's selection as a widget --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("group_by", "then_by", "expected"),
    [
        ("", "", ("metric_card", "", "")),
        ("week", "", ("trend", "week", "")),
        ("region", "", ("bar", "region", "")),
        ("month", "region", ("heatmap", "region", "month")),  # time becomes the columns
        ("region", "month", ("heatmap", "region", "month")),
        ("region", "channel", ("heatmap", "region", "channel")),
    ],
)
def test_explorer_selection_becomes_the_right_kind(group_by, then_by, expected):
    assert services.explorer_widget_kind(group_by, then_by) == expected


def test_explorer_widget_goes_to_a_new_or_an_existing_dashboard(member_of):
    member = member_of("analyst")
    widget = services.widget_from_explorer(
        member=member, dashboard_id=None, new_name="From the explorer", metric="nps", group_by="month",
        then_by="region", filters={"channel": "ticket", "sentiment": ""},
    )  # fmt: skip
    board = widget.dashboard
    assert (board.name, board.shared, board.created_by_id) == ("From the explorer", False, member.user_id)
    assert (widget.kind, widget.group_by, widget.then_by, widget.filters) == (
        "heatmap",
        "region",
        "month",
        {"channel": "ticket"},
    )
    second = services.widget_from_explorer(member=member, dashboard_id=board.pk, metric="csat", title="CSAT")
    assert (second.dashboard_id, second.kind, second.position) == (board.pk, "metric_card", 1)
    with pytest.raises(ServiceError, match="name a new one"):
        services.widget_from_explorer(member=member, dashboard_id=None, metric="nps")
    theirs = services.dashboard_create(member=member_of("outsider"), name="Theirs")
    with pytest.raises(NotFound):
        services.widget_from_explorer(member=member, dashboard_id=theirs.pk, metric="nps")
    assert not theirs.widgets.exists()
