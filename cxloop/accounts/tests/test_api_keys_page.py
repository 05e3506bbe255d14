"""The API keys page: owners and admins create keys shown once, stored only as a hash, and revoke them."""

from __future__ import annotations

import hashlib
import re

import pytest

from cxloop.accounts.models import ApiKey, AuditEvent

from .helpers import assert_shows_no_acme_data, login_redirect, messages_of, query_count

NEW_KEY = re.compile(r'<code class="secret" id="new-key">(cxl_[A-Za-z0-9_-]+)</code>')


def create_key(client, name="Zendesk sync", scope="read"):
    response = client.post("/settings/api-keys/", {"name": name, "scope": scope})
    found = NEW_KEY.search(response.content.decode())
    return response, (found.group(1) if found else None)


# --- Who may use the page ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 200), ("admin", 200), ("analyst", 403), ("agent", 403), ("viewer", 403)],
)
def test_only_owners_and_admins_open_the_api_keys_page(cast, login, acme_key, role, status):
    response = login(cast.user(role)).get("/settings/api-keys/")
    assert response.status_code == status
    assert (b"Acme CRM sync" in response.content) is (status == 200)


def test_anonymous_visitor_is_sent_to_login(db, client):
    response = client.get("/settings/api-keys/")
    assert response.url == login_redirect("/settings/api-keys/")


@pytest.mark.parametrize("role", ["analyst", "agent", "viewer"])
def test_analysts_agents_and_viewers_cannot_create_keys(cast, login, snapshot, role):
    before = snapshot()
    response, raw = create_key(login(cast.user(role)))
    assert response.status_code == 403
    assert raw is None
    assert snapshot() == before


@pytest.mark.parametrize("role", ["analyst", "agent", "viewer"])
def test_analysts_agents_and_viewers_cannot_revoke_keys(cast, login, acme_key, snapshot, role):
    before = snapshot()
    response = login(cast.user(role)).post(f"/settings/api-keys/{acme_key.key.pk}/revoke/")
    assert response.status_code == 403
    assert snapshot() == before


def test_anonymous_visitor_cannot_revoke_keys(cast, client, acme_key, snapshot):
    before = snapshot()
    path = f"/settings/api-keys/{acme_key.key.pk}/revoke/"
    assert client.post(path).url == login_redirect(path)
    assert snapshot() == before


def test_keys_page_queries_do_not_grow_with_keys(cast, login, make_key):
    client = login(cast.owner)
    make_key(cast.workspace)
    before = query_count(client, "/settings/api-keys/")
    for n in range(6):
        create_key(client, name=f"key {n}")
    assert query_count(client, "/settings/api-keys/") == before


# --- Creating ----------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["owner", "admin"])
def test_new_key_is_shown_once_and_never_cached(cast, login, role):
    client = login(cast.user(role))
    response, raw = create_key(client)

    assert response.status_code == 200
    assert raw is not None
    assert response["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(name="Zendesk sync")
    assert (key.workspace, key.created_by, key.scopes) == (cast.workspace, cast.user(role), ["read"])
    later = client.get("/settings/api-keys/")
    assert b"Zendesk sync" in later.content
    assert raw.encode() not in later.content
    assert key.prefix.encode() in later.content


def test_only_the_sha256_of_a_key_is_stored(cast, login):
    _, raw = create_key(login(cast.owner), scope="write")

    key = ApiKey.objects.get(name="Zendesk sync")
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(key.prefix)
    assert len(key.prefix) < len(raw) // 3
    stored = [str(value) for value in ApiKey.objects.filter(pk=key.pk).values().get().values()]
    assert not [value for value in stored if raw in value]
    audit = [str(value) for row in AuditEvent.objects.values() for value in row.values()]
    assert not [value for value in audit if raw in value]


@pytest.mark.parametrize(("scope", "scopes"), [("read", ["read"]), ("write", ["read", "write"])])
def test_key_gets_the_chosen_scope(cast, login, scope, scopes):
    create_key(login(cast.owner), scope=scope)
    assert ApiKey.objects.get(name="Zendesk sync").scopes == scopes


def test_key_without_a_name_is_refused(cast, login, snapshot):
    before = snapshot()
    response, raw = create_key(login(cast.owner), name="  ")
    assert raw is None
    assert any("Give the key a name" in m for m in messages_of(response))
    assert snapshot() == before


def test_key_creation_is_audited_without_the_secret(cast, login):
    _, raw = create_key(login(cast.admin), scope="write")
    event = AuditEvent.objects.get(action=AuditEvent.Action.KEY_CREATED)
    assert (event.workspace, event.actor) == (cast.workspace, cast.admin)
    assert event.data == {"scopes": ["read", "write"]}
    assert raw not in event.target


def test_new_key_answers_the_api_for_its_workspace(cast, login, api):
    _, raw = create_key(login(cast.owner))
    response = api("get", "/api/v1/me", key=raw)
    assert response.status_code == 200
    assert response.json()["workspace"]["id"] == cast.workspace.pk


# --- Using and revoking ------------------------------------------------------------------------
def test_api_call_records_when_the_key_was_last_used(cast, acme_key, api):
    assert acme_key.key.last_used_at is None
    assert api("get", "/api/v1/me", key=acme_key.raw).status_code == 200
    acme_key.key.refresh_from_db()
    assert acme_key.key.last_used_at is not None


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_revoked_key_no_longer_opens_the_api(cast, login, api, acme_key, role):
    assert api("get", "/api/v1/me", key=acme_key.raw).status_code == 200

    response = login(cast.user(role)).post(f"/settings/api-keys/{acme_key.key.pk}/revoke/", follow=True)

    assert any("revoked" in m for m in messages_of(response))
    acme_key.key.refresh_from_db()
    assert acme_key.key.revoked_at is not None
    refused = api("get", "/api/v1/me", key=acme_key.raw)
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    event = AuditEvent.objects.get(action=AuditEvent.Action.KEY_REVOKED)
    assert (event.workspace, event.actor) == (cast.workspace, cast.user(role))


def test_revoking_twice_changes_nothing_more(cast, login, acme_key):
    client = login(cast.owner)
    client.post(f"/settings/api-keys/{acme_key.key.pk}/revoke/")
    first = ApiKey.objects.get(pk=acme_key.key.pk).revoked_at
    client.post(f"/settings/api-keys/{acme_key.key.pk}/revoke/")
    assert ApiKey.objects.get(pk=acme_key.key.pk).revoked_at == first
    assert AuditEvent.objects.filter(action=AuditEvent.Action.KEY_REVOKED).count() == 1


# --- Other workspaces --------------------------------------------------------------------------
def test_outsider_does_not_see_acme_keys(cast, outsider_client, acme_key):
    response = outsider_client.get("/settings/api-keys/")
    assert response.status_code == 200
    assert_shows_no_acme_data(response, "Acme CRM sync", acme_key.key.prefix)


def test_outsider_cannot_revoke_an_acme_key_by_posting_its_id(cast, outsider_client, acme_key, api, snapshot):
    before = snapshot()
    response = outsider_client.post(f"/settings/api-keys/{acme_key.key.pk}/revoke/", follow=True)
    assert snapshot() == before
    assert any("No API key with that id" in m for m in messages_of(response))
    assert_shows_no_acme_data(response, "Acme CRM sync")
    assert api("get", "/api/v1/me", key=acme_key.raw).status_code == 200


def test_keys_created_by_the_outsider_belong_to_their_workspace(cast, outsider_client, api):
    _, raw = create_key(outsider_client, name="Other key")
    assert ApiKey.objects.get(name="Other key").workspace == cast.other_workspace
    assert api("get", "/api/v1/me", key=raw).json()["workspace"]["id"] == cast.other_workspace.pk
