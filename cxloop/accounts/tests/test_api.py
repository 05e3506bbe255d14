"""The accounts part of the JSON API: health and the calling key's own workspace."""

from __future__ import annotations

import pytest

from cxloop.accounts.models import ApiKey


def test_health_answers_without_a_key(db, api):
    response = api("get", "/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_me_answers_the_workspace_and_scopes_of_the_key(cast, make_key, api):
    response = api("get", "/api/v1/me", key=make_key(cast.workspace, ["read", "write"], name="Sync"))
    assert response.status_code == 200
    body = response.json()
    assert body["workspace"] == {"id": cast.workspace.pk, "name": "Acme", "slug": cast.workspace.slug}
    assert (body["key_name"], body["scopes"]) == ("Sync", ["read", "write"])


def test_me_tells_each_key_only_about_its_own_workspace(cast, make_key, api):
    acme = api("get", "/api/v1/me", key=make_key(cast.workspace)).json()
    other = api("get", "/api/v1/me", key=make_key(cast.other_workspace)).json()
    assert acme["workspace"]["id"] == cast.workspace.pk
    assert other["workspace"] == {"id": cast.other_workspace.pk, "name": "Other Co", "slug": "other-co"}


def test_logged_in_session_is_not_an_api_credential(cast, login, api):
    login(cast.owner)
    response = api("get", "/api/v1/me")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer cxl_not-a-real-key",
        "Bearer nope",
        "Basic b3duZXI6cGFzcw==",
        "Bearer " + "cxl_" * 40,
    ],
)
def test_missing_or_unknown_keys_get_401_problem_details(cast, make_key, api, header):
    make_key(cast.workspace)
    response = api("get", "/api/v1/me", headers={"Authorization": header} if header else None)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/unauthenticated")


def test_revoked_key_gets_401(cast, make_key, api):
    raw = make_key(cast.workspace)
    ApiKey.objects.update(revoked_at="2030-01-01T00:00:00Z")
    assert api("get", "/api/v1/me", key=raw).status_code == 401
