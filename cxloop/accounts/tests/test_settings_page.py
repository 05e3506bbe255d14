"""The workspace settings page: every member reads it, owners and admins rename the workspace."""

from __future__ import annotations

import pytest

from cxloop.accounts.models import AuditEvent, Workspace

from .helpers import assert_shows_no_acme_data, login_redirect, messages_of


@pytest.mark.parametrize(
    ("role", "can_rename", "tabs"),
    [
        ("owner", True, ["Members", "API keys", "Audit log"]),
        ("admin", True, ["Members", "API keys"]),
        ("analyst", False, ["Members"]),
        ("agent", False, ["Members"]),
        ("viewer", False, ["Members"]),
    ],
)
def test_every_member_reads_settings_and_sees_the_tabs_of_their_role(cast, login, role, can_rename, tabs):
    response = login(cast.user(role)).get("/settings/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Acme" in content
    assert cast.workspace.slug in content
    assert ('action="/settings/workspace/"' in content) is can_rename
    for tab in ("Members", "API keys", "Audit log"):
        assert (f">{tab}</a>" in content) is (tab in tabs)


def test_anonymous_visitor_is_sent_to_login(db, client):
    assert client.get("/settings/").url == login_redirect("/settings/")


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_and_admin_rename_the_workspace(cast, login, role):
    response = login(cast.user(role)).post("/settings/workspace/", {"name": "Acme Europe"}, follow=True)
    assert "Workspace renamed." in messages_of(response)
    cast.workspace.refresh_from_db()
    assert cast.workspace.name == "Acme Europe"
    event = AuditEvent.objects.get(action=AuditEvent.Action.WORKSPACE_UPDATED)
    assert event.data == {"name": ["Acme", "Acme Europe"]}


@pytest.mark.parametrize("role", ["analyst", "agent", "viewer"])
def test_analysts_agents_and_viewers_cannot_rename_the_workspace(cast, login, snapshot, role):
    before = snapshot()
    response = login(cast.user(role)).post("/settings/workspace/", {"name": "Hacked"})
    assert response.status_code == 403
    assert snapshot() == before


def test_blank_name_is_refused(cast, login, snapshot):
    before = snapshot()
    response = login(cast.owner).post("/settings/workspace/", {"name": " "}, follow=True)
    assert "The workspace needs a name." in messages_of(response)
    assert snapshot() == before


def test_rename_needs_post(cast, login):
    assert login(cast.owner).get("/settings/workspace/").status_code == 405


def test_anonymous_visitor_cannot_rename(cast, client, snapshot):
    before = snapshot()
    response = client.post("/settings/workspace/", {"name": "Hacked"})
    assert response.url == login_redirect("/settings/workspace/")
    assert snapshot() == before


def test_outsider_sees_only_their_own_workspace_settings(cast, outsider_client):
    response = outsider_client.get("/settings/")
    assert response.status_code == 200
    assert b"Other Co" in response.content
    assert_shows_no_acme_data(response, f"<code>{cast.workspace.slug}</code>")


def test_outsider_renames_only_their_own_workspace(cast, outsider_client):
    outsider_client.post("/settings/workspace/", {"name": "Renamed Co"})
    assert Workspace.objects.get(pk=cast.other_workspace.pk).name == "Renamed Co"
    assert Workspace.objects.get(pk=cast.workspace.pk).name == "Acme"
