"""The members page: who sees it, who may change roles or remove people, and the one-owner rule."""

from __future__ import annotations

import pytest

from cxloop.accounts.models import AuditEvent, Membership

from .helpers import assert_shows_no_acme_data, has_csrf_field, login_redirect, messages_of, query_count

ROLES = ("owner", "admin", "analyst", "agent", "viewer")


# --- Seeing the page ---------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_every_member_sees_the_members_of_their_workspace(cast, login, role):
    response = login(cast.user(role)).get("/settings/members/")
    assert response.status_code == 200
    for other in ROLES:
        assert cast.user(other).email.encode() in response.content
    assert cast.outsider.email.encode() not in response.content


def test_anonymous_visitor_is_sent_to_login(db, client):
    response = client.get("/settings/members/")
    assert response.status_code == 302
    assert response.url == login_redirect("/settings/members/")


@pytest.mark.parametrize(
    ("role", "sees_invite_form"),
    [("owner", True), ("admin", True), ("analyst", False), ("agent", False), ("viewer", False)],
)
def test_only_owners_and_admins_see_the_invite_form(cast, login, role, sees_invite_form):
    response = login(cast.user(role)).get("/settings/members/")
    assert (b"Invite someone" in response.content) is sees_invite_form
    assert has_csrf_field(response)  # the Leave form at least


@pytest.mark.parametrize(
    ("role", "offered_roles"),
    [
        ("owner", ["owner", "admin", "analyst", "agent", "viewer"]),
        ("admin", ["admin", "analyst", "agent", "viewer"]),
    ],
)
def test_role_choices_offer_only_roles_the_person_may_grant(cast, login, role, offered_roles):
    response = login(cast.user(role)).get("/settings/members/")
    assert [value for value, _ in response.context["assignable_roles"]] == offered_roles


def test_admin_cannot_edit_the_owner_row(cast, login, member_of):
    response = login(cast.admin).get("/settings/members/")
    rows = {m.user.email: m.editable for m in response.context["members"]}
    assert rows == {
        "admin@acme.example": False,  # oneself: only Leave
        "agent@acme.example": True,
        "analyst@acme.example": True,
        "owner@acme.example": False,
        "viewer@acme.example": True,
    }


def test_members_page_queries_do_not_grow_with_members_or_invitations(cast, login, member_of):
    from cxloop.accounts.services import invitation_create, user_create

    client = login(cast.owner)
    before = query_count(client, "/settings/members/")
    for n in range(6):
        user = user_create(email=f"extra{n}@acme.example", password=None)
        Membership.objects.create(workspace=cast.workspace, user=user, role="viewer")
        invitation_create(actor_membership=member_of("owner"), email=f"invitee{n}@example.com", role="agent")
    assert query_count(client, "/settings/members/") == before


# --- Changing roles ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("actor", "target", "new_role", "changed"),
    [
        ("owner", "analyst", "admin", True),
        ("owner", "analyst", "owner", True),
        ("owner", "admin", "viewer", True),
        ("admin", "analyst", "agent", True),
        ("admin", "viewer", "admin", True),
        ("admin", "analyst", "owner", False),  # only owners grant the owner role
        ("admin", "owner", "admin", False),  # ... and only owners take it away
        ("admin", "owner", "owner", False),
    ],
)
def test_role_changes_allowed_only_within_the_actors_rank(
    cast, login, member_of, snapshot, actor, target, new_role, changed
):
    target_membership = member_of(target)
    before = snapshot()

    response = login(cast.user(actor)).post(
        f"/settings/members/{target_membership.pk}/role/", {"role": new_role}, follow=True
    )

    assert response.status_code == 200
    target_membership.refresh_from_db()
    if changed:
        assert target_membership.role == new_role
        event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_CHANGED)
        assert (event.actor, event.subject_user, event.data) == (
            cast.user(actor),
            cast.user(target),
            {"role": [target, new_role]},
        )
    else:
        assert snapshot() == before
        assert any("cannot give or take away" in m for m in messages_of(response))
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGED).exists()


@pytest.mark.parametrize("actor", ["analyst", "agent", "viewer"])
@pytest.mark.parametrize("target", ["viewer", "analyst", "owner"])
def test_analysts_agents_and_viewers_cannot_change_roles(cast, login, member_of, snapshot, actor, target):
    before = snapshot()
    response = login(cast.user(actor)).post(
        f"/settings/members/{member_of(target).pk}/role/", {"role": "admin"}
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_unknown_role_is_refused(cast, login, member_of, snapshot):
    before = snapshot()
    response = login(cast.owner).post(
        f"/settings/members/{member_of('viewer').pk}/role/", {"role": "superuser"}, follow=True
    )
    assert any("Unknown role" in m for m in messages_of(response))
    assert snapshot() == before


def test_last_owner_cannot_demote_themselves(cast, login, member_of, snapshot):
    before = snapshot()
    response = login(cast.owner).post(
        f"/settings/members/{member_of('owner').pk}/role/", {"role": "admin"}, follow=True
    )
    assert any("at least one owner" in m for m in messages_of(response))
    assert snapshot() == before


def test_an_owner_may_step_down_once_there_is_another_owner(cast, login, member_of):
    Membership.objects.filter(pk=member_of("admin").pk).update(role="owner")
    login(cast.owner).post(f"/settings/members/{member_of('owner').pk}/role/", {"role": "admin"})
    assert member_of("owner").role == "admin"
    assert member_of("admin").role == "owner"


def test_role_change_only_needs_post(cast, login, member_of):
    response = login(cast.owner).get(f"/settings/members/{member_of('viewer').pk}/role/")
    assert response.status_code == 405


# --- Removing members and leaving --------------------------------------------------------------
@pytest.mark.parametrize(
    ("actor", "target", "removed"),
    [
        ("owner", "admin", True),
        ("owner", "viewer", True),
        ("admin", "admin", True),  # leaving
        ("admin", "analyst", True),
        ("admin", "owner", False),  # admins cannot remove owners
    ],
)
def test_owners_and_admins_remove_members_of_lower_or_equal_rank(
    cast, login, member_of, snapshot, actor, target, removed
):
    target_id = member_of(target).pk
    before = snapshot()

    login(cast.user(actor)).post(f"/settings/members/{target_id}/remove/")

    assert Membership.objects.filter(pk=target_id).exists() is not removed
    if removed:
        event = AuditEvent.objects.get(action=AuditEvent.Action.MEMBER_REMOVED)
        assert (event.actor, event.subject_user, event.workspace) == (
            cast.user(actor),
            cast.user(target),
            cast.workspace,
        )
    else:
        assert snapshot() == before


@pytest.mark.parametrize(
    ("actor", "target"),
    [("analyst", "viewer"), ("analyst", "owner"), ("agent", "viewer"), ("viewer", "agent")],
)
def test_analysts_agents_and_viewers_cannot_remove_others(cast, login, member_of, snapshot, actor, target):
    before = snapshot()
    response = login(cast.user(actor)).post(f"/settings/members/{member_of(target).pk}/remove/")
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("role", ["admin", "analyst", "agent", "viewer"])
def test_anyone_can_leave_the_workspace(cast, login, member_of, role):
    client = login(cast.user(role))
    response = client.post(f"/settings/members/{member_of(role).pk}/remove/")

    assert response.status_code == 302
    assert response.url == "/"
    assert not Membership.objects.filter(workspace=cast.workspace, user=cast.user(role)).exists()
    # With no workspace left, pages ask them to join or create one.
    after = client.get("/")
    assert after.status_code == 403
    assert b"not in a workspace yet" in after.content
    assert b"Acme" not in after.content


def test_last_owner_cannot_leave(cast, login, member_of, snapshot):
    before = snapshot()
    response = login(cast.owner).post(f"/settings/members/{member_of('owner').pk}/remove/", follow=True)
    assert any("at least one owner" in m for m in messages_of(response))
    assert snapshot() == before


def test_an_owner_may_leave_once_there_is_another_owner(cast, login, member_of):
    Membership.objects.filter(pk=member_of("admin").pk).update(role="owner")
    login(cast.owner).post(f"/settings/members/{member_of('owner').pk}/remove/")
    assert not Membership.objects.filter(workspace=cast.workspace, user=cast.owner).exists()


# --- Anonymous visitors ------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["role", "remove"])
def test_anonymous_visitor_cannot_act_on_members(cast, client, member_of, snapshot, action):
    before = snapshot()
    path = f"/settings/members/{member_of('viewer').pk}/{action}/"
    response = client.post(path, {"role": "owner"})
    assert response.status_code == 302
    assert response.url == login_redirect(path)
    assert snapshot() == before


# --- Other workspaces --------------------------------------------------------------------------
def test_outsider_sees_only_their_own_workspaces_members(cast, outsider_client):
    response = outsider_client.get("/settings/members/")
    assert response.status_code == 200
    assert cast.outsider.email.encode() in response.content
    assert_shows_no_acme_data(response)


@pytest.mark.parametrize("target", ROLES)
def test_outsider_cannot_change_roles_in_acme_by_posting_its_member_ids(
    cast, outsider_client, member_of, snapshot, target
):
    before = snapshot()
    response = outsider_client.post(
        f"/settings/members/{member_of(target).pk}/role/", {"role": "viewer"}, follow=True
    )
    assert snapshot() == before
    assert any("No such member" in m for m in messages_of(response))
    assert_shows_no_acme_data(response)


@pytest.mark.parametrize("target", ROLES)
def test_outsider_cannot_remove_acme_members_by_posting_their_ids(
    cast, outsider_client, member_of, snapshot, target
):
    before = snapshot()
    response = outsider_client.post(f"/settings/members/{member_of(target).pk}/remove/", follow=True)
    assert snapshot() == before
    assert any("No such member" in m for m in messages_of(response))
    assert_shows_no_acme_data(response)
    assert not AuditEvent.objects.filter(workspace=cast.workspace, actor=cast.outsider).exists()


def test_acme_owner_cannot_act_on_the_other_workspaces_members(cast, login, snapshot):
    outsider_membership = Membership.objects.get(workspace=cast.other_workspace, user=cast.outsider)
    before = snapshot()
    client = login(cast.owner)
    client.post(f"/settings/members/{outsider_membership.pk}/role/", {"role": "viewer"})
    client.post(f"/settings/members/{outsider_membership.pk}/remove/")
    assert snapshot() == before


# --- Two owners at once --------------------------------------------------------------------------
def _in_thread(target):
    """Runs target() in a thread with its own database connection; returns (thread, outcome dict)."""
    import threading

    from django.db import connection as thread_connection

    outcome: dict = {}

    def run():
        try:
            with thread_connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                outcome["pid"] = cursor.fetchone()[0]
            outcome["result"] = target()
        except Exception as exc:  # handed back to the test's thread
            outcome["error"] = exc
        finally:
            thread_connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["demote", "leave"])
def test_two_owners_acting_at_once_still_leave_one_owner(cast, member_of, monkeypatch, action):
    """Two owners demote each other (or both leave) at the same moment: one succeeds, the other is refused.

    The first owner's transaction is held open right after its one-owner check, while the second one runs;
    the second must wait for the first and then see that only one owner is left.
    """
    import threading
    import time

    from django.db import connection

    from cxloop.accounts import services

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite runs one write transaction at a time")
    Membership.objects.filter(pk=member_of("admin").pk).update(role="owner")
    first, second = member_of("owner"), member_of("admin")

    counted, release = threading.Event(), threading.Event()
    original_count = services._owner_count

    def count_then_hold(workspace):
        n = original_count(workspace)
        if not counted.is_set():  # the first owner's transaction: hold it open
            counted.set()
            release.wait(timeout=10)
        return n

    monkeypatch.setattr(services, "_owner_count", count_then_hold)

    def act(actor, target):
        if action == "demote":
            return lambda: services.membership_set_role(
                actor_membership=actor, member_id=target.pk, role="admin"
            )
        return lambda: services.membership_remove(actor_membership=actor, member_id=actor.pk)

    first_thread, first_outcome = _in_thread(act(first, second))
    assert counted.wait(timeout=10)
    second_thread, second_outcome = _in_thread(act(second, first))

    # Let the first owner commit once the second has either finished (no lock stopped it) or is waiting
    # on a lock held by the first.
    deadline = time.monotonic() + 10
    while second_thread.is_alive() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [second_outcome.get("pid", -1)]
            )
            row = cursor.fetchone()
        if row and row[0] == "Lock":
            break
        time.sleep(0.005)
    release.set()
    first_thread.join(timeout=10)
    second_thread.join(timeout=10)

    assert "error" not in first_outcome
    assert isinstance(second_outcome.get("error"), services.Conflict)
    assert Membership.objects.filter(workspace=cast.workspace, role="owner").count() == 1
