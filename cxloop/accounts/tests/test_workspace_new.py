"""Creating a workspace: any logged-in person may, and becomes its only owner."""

from __future__ import annotations

import pytest

from cxloop.accounts.middleware import SESSION_KEY
from cxloop.accounts.models import AuditEvent, Membership, Workspace

from .helpers import has_csrf_field, login_redirect


@pytest.mark.parametrize("role", ["owner", "admin", "analyst", "agent", "viewer", "outsider"])
def test_any_logged_in_person_creates_a_workspace_and_owns_it(cast, login, role):
    client = login(cast.user(role))
    assert client.get("/workspaces/new/").status_code == 200

    response = client.post("/workspaces/new/", {"name": "  Beta Brand  "}, follow=True)

    workspace = Workspace.objects.get(name="Beta Brand")
    assert workspace.slug == "beta-brand"
    assert list(Membership.objects.filter(workspace=workspace).values_list("user", "role")) == [
        (cast.user(role).pk, "owner")
    ]
    assert client.session[SESSION_KEY] == workspace.pk
    assert response.context["current_workspace"] == workspace
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.WORKSPACE_CREATED, workspace=workspace, actor=cast.user(role)
    ).exists()


def test_person_without_any_workspace_can_create_one(db, client):
    from cxloop.accounts.services import user_create

    loner = user_create(email="loner@example.com", password="a long password 42")
    client.force_login(loner)
    assert client.get("/").status_code == 403
    client.post("/workspaces/new/", {"name": "Solo"})
    assert client.get("/").context["current_workspace"].name == "Solo"


@pytest.mark.parametrize("name", ["", "   "])
def test_blank_name_is_refused(cast, login, snapshot, name):
    before = snapshot()
    response = login(cast.viewer).post("/workspaces/new/", {"name": name})
    assert response.status_code == 200
    assert b"The workspace needs a name." in response.content
    assert snapshot() == before


def test_two_workspaces_with_one_name_get_distinct_slugs(cast, login):
    client = login(cast.viewer)
    client.post("/workspaces/new/", {"name": "Acme"})
    assert sorted(Workspace.objects.filter(name="Acme").values_list("slug", flat=True)) == ["acme", "acme-2"]


def test_new_workspace_has_only_its_creator_as_member(cast, outsider_client):
    outsider_client.post("/workspaces/new/", {"name": "Side project"})
    workspace = Workspace.objects.get(name="Side project")
    assert [m.user for m in Membership.objects.filter(workspace=workspace)] == [cast.outsider]
    assert not Membership.objects.filter(workspace=cast.workspace, user=cast.outsider).exists()
    assert Membership.objects.filter(workspace=cast.workspace).count() == 5


def test_creation_form_has_a_csrf_token(cast, login):
    assert has_csrf_field(login(cast.agent).get("/workspaces/new/"))


def test_anonymous_visitor_is_sent_to_login(db, client):
    response = client.get("/workspaces/new/")
    assert response.status_code == 302
    assert response.url == login_redirect("/workspaces/new/")
    assert client.post("/workspaces/new/", {"name": "Sneaky"}).status_code == 302
    assert not Workspace.objects.exists()
