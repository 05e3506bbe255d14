"""The workspace switcher: people move between their own workspaces and nowhere else."""

from __future__ import annotations

import pytest

from cxloop.accounts.middleware import SESSION_KEY
from cxloop.accounts.models import Membership

from .helpers import assert_shows_no_acme_data, messages_of


@pytest.fixture
def in_both(cast):
    """The analyst is also a viewer of the other workspace."""
    Membership.objects.create(workspace=cast.other_workspace, user=cast.analyst, role="viewer")
    return cast.analyst


def test_member_of_two_workspaces_switches_between_them(cast, login, in_both):
    client = login(in_both)
    assert client.get("/").context["current_workspace"] == cast.workspace

    response = client.post("/workspaces/switch/", {"workspace": cast.other_workspace.pk}, follow=True)

    assert response.status_code == 200
    assert response.context["current_workspace"] == cast.other_workspace
    assert response.context["current_role"] == "viewer"
    assert client.session[SESSION_KEY] == cast.other_workspace.pk
    assert client.get("/settings/members/").context["members"][0].workspace == cast.other_workspace


def test_switcher_lists_only_the_users_own_workspaces(cast, login, in_both):
    content = login(in_both).get("/").content.decode()
    assert f'value="{cast.workspace.pk}"' in content
    assert f'value="{cast.other_workspace.pk}"' in content
    assert "Acme (Analyst)" in content
    assert "Other Co (Viewer)" in content


def test_posting_another_workspaces_id_does_not_switch(cast, outsider_client):
    response = outsider_client.post("/workspaces/switch/", {"workspace": cast.workspace.pk}, follow=True)

    assert response.context["current_workspace"] == cast.other_workspace
    assert "You are not a member of that workspace." in messages_of(response)
    assert outsider_client.session.get(SESSION_KEY) != cast.workspace.pk
    assert_shows_no_acme_data(response)
    assert_shows_no_acme_data(outsider_client.get("/settings/members/"))


def test_a_forged_session_workspace_falls_back_to_the_users_own(cast, outsider_client):
    session = outsider_client.session
    session[SESSION_KEY] = cast.workspace.pk
    session.save()

    response = outsider_client.get("/settings/members/")

    assert response.status_code == 200
    assert response.context["current_workspace"] == cast.other_workspace
    assert_shows_no_acme_data(response)


@pytest.mark.parametrize("value", ["", "abc", "999999", "-1"])
def test_nonsense_workspace_ids_do_not_switch(cast, login, in_both, value):
    client = login(in_both)
    client.post("/workspaces/switch/", {"workspace": cast.other_workspace.pk})
    response = client.post("/workspaces/switch/", {"workspace": value}, follow=True)
    assert response.context["current_workspace"] == cast.other_workspace
    assert "You are not a member of that workspace." in messages_of(response)


def test_switching_needs_post(cast, login):
    assert login(cast.viewer).get("/workspaces/switch/").status_code == 405


def test_anonymous_visitor_is_sent_to_login(cast, client):
    response = client.post("/workspaces/switch/", {"workspace": cast.workspace.pk})
    assert response.status_code == 302
    assert response.url == "/login/"
    assert SESSION_KEY not in client.session
