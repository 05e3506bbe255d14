"""Invitations: who may send and withdraw them, the emailed single-use link, and accepting it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from cxloop.accounts.models import AuditEvent, Invitation, Membership, User
from cxloop.accounts.services import invitation_token

from .helpers import assert_shows_no_acme_data, login_redirect, messages_of

NEW_PASSWORD = "a long new password 42"
LINK = re.compile(r"https?://[^/\s]+(/invite/[^/\s]+/)")


@pytest.fixture
def invite(cast, login, django_capture_on_commit_callbacks):
    """invite(actor_role, email, role) -> the response of the invite form; the email task runs inline."""

    def _invite(actor_role, email="newhire@example.com", role="agent"):
        with django_capture_on_commit_callbacks(execute=True):
            return login(cast.user(actor_role)).post(
                "/settings/members/invite/", {"email": email, "role": role}, follow=True
            )

    return _invite


def link_in(message) -> str:
    found = LINK.search(message.body)
    assert found, f"no invitation link in: {message.body}"
    return found.group(1)


def opened_by(path: str):
    """The invitation a link opens (a token carries its signing time: two links to one invitation differ)."""
    from cxloop.accounts.services import invitation_from_token

    return invitation_from_token(path.removeprefix("/invite/").rstrip("/"))


def invitation_link(invitation) -> str:
    return f"/invite/{invitation_token(invitation)}/"


# --- Sending -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("actor", "role"),
    [("owner", "owner"), ("owner", "admin"), ("owner", "viewer"), ("admin", "admin"), ("admin", "analyst")],
)
def test_owner_and_admin_invite_by_email(cast, invite, actor, role):
    response = invite(actor, "newhire@example.com", role)

    assert response.status_code == 200
    invitation = Invitation.objects.get(workspace=cast.workspace, email="newhire@example.com")
    assert (invitation.role, invitation.invited_by, invitation.state) == (role, cast.user(actor), "pending")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["newhire@example.com"]
    assert "Acme" in message.subject
    assert opened_by(link_in(message)) == invitation
    assert any("Invitation sent to newhire@example.com" in m for m in messages_of(response))
    event = AuditEvent.objects.get(action=AuditEvent.Action.INVITATION_SENT)
    assert (event.workspace, event.actor, event.target) == (
        cast.workspace,
        cast.user(actor),
        "newhire@example.com",
    )


@pytest.mark.parametrize("actor", ["analyst", "agent", "viewer"])
def test_analysts_agents_and_viewers_cannot_invite_members(
    cast, login, snapshot, django_capture_on_commit_callbacks, actor
):
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(cast.user(actor)).post(
            "/settings/members/invite/", {"email": "newhire@example.com", "role": "viewer"}
        )
    assert response.status_code == 403
    assert snapshot() == before
    assert mail.outbox == []


def test_admin_cannot_invite_an_owner(cast, invite, snapshot):
    before = snapshot()
    response = invite("admin", "boss@example.com", "owner")
    assert any("cannot invite people with that role" in m for m in messages_of(response))
    assert snapshot() == before
    assert mail.outbox == []


def test_inviting_an_existing_member_is_refused(cast, invite, snapshot):
    before = snapshot()
    response = invite("owner", "Analyst@Acme.example", "admin")
    assert any("already a member" in m for m in messages_of(response))
    assert snapshot() == before
    assert mail.outbox == []


@pytest.mark.parametrize("email", ["", "not-an-email", "a" * 250 + "@example.com"])
def test_invalid_email_is_refused(cast, invite, snapshot, email):
    before = snapshot()
    response = invite("owner", email, "viewer")
    assert any("valid email" in m for m in messages_of(response))
    assert snapshot() == before


def test_a_new_invitation_replaces_the_pending_one_for_that_address(cast, invite):
    invite("owner", "newhire@example.com", "viewer")
    invite("owner", "newhire@example.com", "analyst")
    first, second = Invitation.objects.filter(email="newhire@example.com").order_by("id")
    assert first.state == "revoked"
    assert second.state == "pending"
    response = Client().get(link_in(mail.outbox[0]))
    assert response.status_code == 409
    assert b"withdrawn" in response.content


@pytest.mark.parametrize(
    ("role", "sees_invitations"),
    [("owner", True), ("admin", True), ("analyst", False), ("agent", False), ("viewer", False)],
)
def test_only_owners_and_admins_see_pending_invitations(cast, login, acme_invitation, role, sees_invitations):
    response = login(cast.user(role)).get("/settings/members/")
    assert (b"newhire@example.com" in response.content) is sees_invitations


def test_anonymous_visitor_cannot_invite(db, client):
    response = client.post("/settings/members/invite/", {"email": "x@example.com", "role": "owner"})
    assert response.url == login_redirect("/settings/members/invite/")
    assert not Invitation.objects.exists()


# --- Withdrawing -------------------------------------------------------------------------------
@pytest.mark.parametrize("actor", ["owner", "admin"])
def test_owner_and_admin_withdraw_invitations(cast, login, acme_invitation, actor):
    login(cast.user(actor)).post(f"/settings/invitations/{acme_invitation.pk}/revoke/")
    acme_invitation.refresh_from_db()
    assert acme_invitation.state == "revoked"
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.INVITATION_REVOKED, workspace=cast.workspace, actor=cast.user(actor)
    ).exists()


@pytest.mark.parametrize("actor", ["analyst", "agent", "viewer"])
def test_analysts_agents_and_viewers_cannot_withdraw_invitations(
    cast, login, acme_invitation, snapshot, actor
):
    before = snapshot()
    response = login(cast.user(actor)).post(f"/settings/invitations/{acme_invitation.pk}/revoke/")
    assert response.status_code == 403
    assert snapshot() == before


def test_anonymous_visitor_cannot_withdraw_invitations(cast, client, acme_invitation, snapshot):
    before = snapshot()
    path = f"/settings/invitations/{acme_invitation.pk}/revoke/"
    assert client.post(path).url == login_redirect(path)
    assert snapshot() == before


def test_outsider_cannot_withdraw_an_acme_invitation_by_posting_its_id(
    cast, outsider_client, acme_invitation, snapshot
):
    before = snapshot()
    response = outsider_client.post(f"/settings/invitations/{acme_invitation.pk}/revoke/", follow=True)
    assert snapshot() == before
    assert any("No pending invitation" in m for m in messages_of(response))
    assert_shows_no_acme_data(response, "newhire@example.com")


def test_outsider_does_not_see_acme_invitations(cast, outsider_client, acme_invitation):
    response = outsider_client.get("/settings/members/")
    assert response.status_code == 200
    assert_shows_no_acme_data(response, "newhire@example.com")


def test_outsider_invitations_go_to_their_own_workspace(cast, outsider_client):
    outsider_client.post("/settings/members/invite/", {"email": "friend@example.com", "role": "viewer"})
    assert Invitation.objects.get(email="friend@example.com").workspace == cast.other_workspace
    assert not Invitation.objects.filter(workspace=cast.workspace).exists()


# --- Accepting ---------------------------------------------------------------------------------
def test_invitee_without_an_account_joins_with_the_invited_role(cast, invite):
    invite("owner", "newhire@example.com", "analyst")
    path = link_in(mail.outbox[0])
    browser = Client()

    form = browser.get(path)
    assert form.status_code == 200
    assert b"Join Acme" in form.content
    assert b"Create account and join" in form.content

    response = browser.post(path, {"name": "New Hire", "password": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.url == "/"
    user = User.objects.get(email="newhire@example.com")
    assert user.name == "New Hire"
    assert user.check_password(NEW_PASSWORD)
    assert Membership.objects.get(user=user).role == "analyst"
    assert Membership.objects.get(user=user).workspace == cast.workspace
    assert browser.session["_auth_user_id"] == str(user.pk)
    home = browser.get("/")
    assert home.status_code == 200
    assert b"Acme" in home.content
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.INVITATION_ACCEPTED, workspace=cast.workspace, subject_user=user
    ).exists()


def test_invitation_link_works_only_once(cast, acme_invitation):
    path = invitation_link(acme_invitation)
    Client().post(path, {"name": "New Hire", "password": NEW_PASSWORD})
    assert Membership.objects.filter(user__email="newhire@example.com").count() == 1

    again = Client()
    opened = again.get(path)
    assert opened.status_code == 409
    assert b"already been used" in opened.content
    posted = again.post(path, {"name": "Someone Else", "password": NEW_PASSWORD})
    assert posted.status_code == 409
    assert b"already been used" in posted.content
    assert Membership.objects.filter(user__email="newhire@example.com").count() == 1


def test_expired_invitation_is_refused(cast, acme_invitation, snapshot):
    Invitation.objects.filter(pk=acme_invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    before = snapshot()
    path = invitation_link(acme_invitation)

    opened = Client().get(path)
    posted = Client().post(path, {"name": "Late", "password": NEW_PASSWORD})

    for response in (opened, posted):
        assert response.status_code == 409
        assert b"expired" in response.content
    assert snapshot() == before


def test_withdrawn_invitation_is_refused(cast, login, acme_invitation, snapshot):
    login(cast.owner).post(f"/settings/invitations/{acme_invitation.pk}/revoke/")
    before = snapshot()
    path = invitation_link(acme_invitation)

    opened = Client().get(path)
    posted = Client().post(path, {"name": "Too late", "password": NEW_PASSWORD})

    for response in (opened, posted):
        assert response.status_code == 409
        assert b"withdrawn" in response.content
    assert snapshot() == before


def test_invitation_withdrawn_while_the_form_was_open_is_refused(
    cast, acme_invitation, snapshot, monkeypatch
):
    """The invitation is checked again under the row lock: a withdrawal just before the click counts."""
    from cxloop.accounts import services

    checked = services.invitation_from_token

    def withdrawn_right_after_the_check(token):
        found = checked(token)
        Invitation.objects.filter(pk=found.pk).update(revoked_at=timezone.now())
        return found

    monkeypatch.setattr(services, "invitation_from_token", withdrawn_right_after_the_check)
    before = snapshot()
    with pytest.raises(services.Conflict, match="withdrawn"):
        services.invitation_accept(
            token=invitation_token(acme_invitation), user=None, name="Late", password=NEW_PASSWORD
        )
    after = snapshot()
    assert after["users"] == before["users"]
    assert after["memberships"] == before["memberships"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: "x" + token,
        lambda token: "not-a-token",
    ],
    ids=["changed-signature", "changed-payload", "garbage"],
)
def test_tampered_link_is_not_found(cast, acme_invitation, snapshot, tamper):
    path = f"/invite/{tamper(invitation_token(acme_invitation))}/"
    before = snapshot()
    opened = Client().get(path)
    posted = Client().post(path, {"name": "Mallory", "password": NEW_PASSWORD})
    for response in (opened, posted):
        assert response.status_code == 404
        assert b"not valid" in response.content
        assert b"Acme" not in response.content
    assert snapshot() == before


def test_link_signed_for_one_invitation_does_not_open_another(cast, acme_invitation):
    """The nonce is bound into the link: a guessed invitation id alone opens nothing."""
    from django.core import signing

    forged = signing.dumps({"i": acme_invitation.pk, "n": "0" * 32}, salt="cxloop.invitation")
    assert Client().get(f"/invite/{forged}/").status_code == 404


def test_weak_password_is_refused_and_nothing_is_created(cast, acme_invitation, snapshot):
    before = snapshot()
    response = Client().post(invitation_link(acme_invitation), {"name": "New", "password": "short"})
    assert response.status_code == 200
    assert b"too short" in response.content
    assert snapshot() == before
    assert acme_invitation.state == "pending"


def test_logged_in_user_with_another_email_cannot_accept(cast, login, acme_invitation, snapshot):
    before = snapshot()
    client = login(cast.outsider)
    response = client.post(invitation_link(acme_invitation))
    assert b"This invitation is for newhire@example.com" in response.content
    assert snapshot() == before
    assert not Membership.objects.filter(workspace=cast.workspace, user=cast.outsider).exists()


def test_existing_user_is_asked_to_log_in_then_joins(cast, login, member_of):
    from cxloop.accounts.services import invitation_create

    invitation = invitation_create(
        actor_membership=member_of("owner"), email=cast.outsider.email, role="viewer"
    )
    path = invitation_link(invitation)

    anonymous = Client().get(path)
    assert b"Log in" in anonymous.content
    assert b'href="/login/?next=/invite/' in anonymous.content
    refused = Client().post(path, {"name": "Impostor", "password": NEW_PASSWORD})
    assert b"log in first" in refused.content
    assert not Membership.objects.filter(workspace=cast.workspace, user=cast.outsider).exists()

    response = login(cast.outsider).post(path)
    assert response.status_code == 302
    assert Membership.objects.get(workspace=cast.workspace, user=cast.outsider).role == "viewer"
    assert response.wsgi_request.session["cxloop_workspace_id"] == cast.workspace.pk


def test_member_who_joined_meanwhile_cannot_use_the_link_twice(cast, login, member_of, snapshot):
    from cxloop.accounts.services import invitation_create

    invitation = invitation_create(
        actor_membership=member_of("owner"), email=cast.outsider.email, role="viewer"
    )
    Membership.objects.create(workspace=cast.workspace, user=cast.outsider, role="agent")
    before = snapshot()
    response = login(cast.outsider).post(invitation_link(invitation))
    assert b"already a member" in response.content
    assert snapshot() == before
