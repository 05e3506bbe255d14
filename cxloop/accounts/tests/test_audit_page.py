"""The audit page: only owners read it; it shows the workspace's own events and its members' sign-ins."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import PASSWORD
from cxloop.accounts.models import AuditEvent, Membership
from cxloop.accounts.services import api_key_create, invitation_create

from .helpers import assert_shows_no_acme_data, login_redirect, query_count


@pytest.fixture
def acme_history(cast, member_of, acme_key):
    """Things done in Acme through its pages: a role change, a key revoked, an invitation, a sign-in."""
    owner = Client()
    owner.force_login(cast.owner)
    owner.post(f"/settings/members/{member_of('viewer').pk}/role/", {"role": "agent"})
    owner.post(f"/settings/api-keys/{acme_key.key.pk}/revoke/")
    owner.post("/settings/members/invite/", {"email": "newhire@example.com", "role": "analyst"})
    Client().post("/login/", {"email": cast.analyst.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.10")
    Client().post("/login/", {"email": cast.agent.email, "password": "wrong"}, REMOTE_ADDR="192.0.2.11")


@pytest.fixture
def other_history(cast):
    """Things done in the other workspace, which Acme's audit page must not show."""
    outsider = Membership.objects.get(workspace=cast.other_workspace, user=cast.outsider)
    api_key_create(
        workspace=cast.other_workspace, name="Other secret key", scopes=["read"], actor=cast.outsider
    )
    invitation_create(actor_membership=outsider, email="stranger@other.example", role="viewer")
    Client().post("/login/", {"email": cast.outsider.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.99")


def audit_page(client, **params):
    response = client.get("/settings/audit/", params)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 200), ("admin", 403), ("analyst", 403), ("agent", 403), ("viewer", 403)],
)
def test_only_owners_read_the_audit_log(cast, login, acme_history, role, status):
    response = login(cast.user(role)).get("/settings/audit/")
    assert response.status_code == status
    if status == 403:
        assert b"newhire@example.com" not in response.content


def test_anonymous_visitor_is_sent_to_login(db, client):
    assert client.get("/settings/audit/").url == login_redirect("/settings/audit/")


def test_owner_sees_what_happened_in_the_workspace(cast, login, acme_history):
    response = audit_page(login(cast.owner))
    actions = [e.action for e in response.context["events"]]
    for action in (
        "member.role_changed",
        "api_key.created",
        "api_key.revoked",
        "invitation.sent",
        "login",
        "login.failed",
        "workspace.created",
    ):
        assert action in actions, f"{action} missing from the audit page"
    content = response.content.decode()
    assert "viewer → agent" in content
    assert "Acme CRM sync" in content
    assert "newhire@example.com" in content
    assert "192.0.2.10" in content  # where the analyst signed in from


def test_member_sign_ins_are_attributed_to_the_member(cast, login, acme_history):
    events = audit_page(login(cast.owner), action="login").context["events"]
    assert [(e.action, e.actor, e.ip) for e in events] == [("login", cast.analyst, "192.0.2.10")]


def test_other_workspaces_events_are_not_shown(cast, login, acme_history, other_history):
    response = audit_page(login(cast.owner))
    assert_ids = {e.workspace_id for e in response.context["events"]}
    assert cast.other_workspace.pk not in assert_ids
    assert all(e.actor != cast.outsider for e in response.context["events"])
    content = response.content.decode()
    for foreign in (
        "Other secret key",
        "stranger@other.example",
        "192.0.2.99",
        "Other Co",
        cast.outsider.email,
    ):
        assert foreign not in content


def test_outsider_sees_none_of_acmes_events(cast, outsider_client, acme_history, other_history):
    response = audit_page(outsider_client)
    events = response.context["events"]
    assert events, "the outsider's own events are listed"
    assert {e.workspace_id for e in events} <= {cast.other_workspace.pk, None}
    assert {e.subject_user for e in events if e.workspace_id is None} == {cast.outsider}
    assert_shows_no_acme_data(response, "newhire@example.com", "192.0.2.10", "viewer → agent")


def test_filter_by_action_shows_only_that_action(cast, login, acme_history):
    events = audit_page(login(cast.owner), action="invitation.sent").context["events"]
    assert [e.target for e in events] == ["newhire@example.com"]


def test_unknown_action_filter_shows_everything(cast, login, acme_history):
    client = login(cast.owner)
    everything = audit_page(client).context["events"]
    assert audit_page(client, action="drop table").context["events"] == everything


def test_newest_events_come_first(cast, login, acme_history):
    events = audit_page(login(cast.owner)).context["events"]
    assert [(e.created_at, e.pk) for e in events] == sorted(
        ((e.created_at, e.pk) for e in events), reverse=True
    )


def test_sign_ins_of_a_former_member_stay_out_of_view_after_they_leave(cast, login, member_of, acme_history):
    Membership.objects.filter(pk=member_of("analyst").pk).delete()
    events = audit_page(login(cast.owner), action="login").context["events"]
    assert events == []
    assert AuditEvent.objects.filter(action="login", actor=cast.analyst).exists()


def test_audit_page_queries_do_not_grow_with_events(cast, login, acme_history, acme_key):
    client = Client()
    client.force_login(cast.owner)
    before = query_count(client, "/settings/audit/")
    for n in range(5):
        api_key_create(workspace=cast.workspace, name=f"key {n}", scopes=["read"], actor=cast.admin)
        Client().post("/login/", {"email": cast.viewer.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.20")
    assert query_count(client, "/settings/audit/") == before
