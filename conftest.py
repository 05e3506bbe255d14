"""Test set-up shared by every app's tests.

Settings come from cxloop/settings_test.py (the real settings read with a test environment).
The cast every permission test uses: one workspace with a person in each role, and an outsider who
owns another workspace.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

PASSWORD = "correct horse battery staple"


@dataclass
class Cast:
    workspace: object
    owner: object
    admin: object
    analyst: object
    agent: object
    viewer: object
    other_workspace: object
    outsider: object  # owner of other_workspace, member of nothing else

    def user(self, role: str):
        return getattr(self, role)


@pytest.fixture
def cast(db) -> Cast:
    from cxloop.accounts.models import Membership
    from cxloop.accounts.services import user_create, workspace_create

    users = {
        role: user_create(email=f"{role}@acme.example", password=PASSWORD, name=role.title())
        for role in ("owner", "admin", "analyst", "agent", "viewer", "outsider")
    }
    workspace = workspace_create(name="Acme", owner=users["owner"])
    for role in ("admin", "analyst", "agent", "viewer"):
        Membership.objects.create(workspace=workspace, user=users[role], role=role)
    other = workspace_create(name="Other Co", owner=users["outsider"])
    return Cast(workspace=workspace, other_workspace=other, **users)


@pytest.fixture
def login(client):
    """login(user) -> the test client, logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def make_key(db):
    """make_key(workspace, scopes=("read", "write")) -> raw API key string."""
    from cxloop.accounts.services import api_key_create

    def _make(workspace, scopes=("read", "write"), name="test key"):
        return api_key_create(workspace=workspace, name=name, scopes=list(scopes), actor=None).raw

    return _make


@pytest.fixture
def api(client):
    """api(method, path, key=None, json=None, **extra) -> response, for the JSON API."""
    import json as _json

    def _call(method, path, key=None, json=None, headers=None, **extra):
        hdrs = dict(headers or {})
        if key:
            hdrs["Authorization"] = f"Bearer {key}"
        kwargs = {"headers": hdrs, **extra}
        if json is not None:
            kwargs["data"] = _json.dumps(json)
            kwargs["content_type"] = "application/json"
        return getattr(client, method.lower())(path, **kwargs)

    return _call


@pytest.fixture
def acme_key(cast, make_key):
    """A read and write API key of Acme."""
    return make_key(cast.workspace, ["read", "write"], name="Acme import")


@pytest.fixture
def other_key(cast, make_key):
    """A read and write API key of Other Co, the outsider's workspace."""
    return make_key(cast.other_workspace, ["read", "write"], name="Other Co import")


@pytest.fixture
def post_feedback(api, acme_key):
    """post_feedback(**changes) -> the response of POST /api/v1/feedback with Acme's key."""

    from cxloop.feedback.tests.helpers import feedback_body

    def _post(key=None, headers=None, **changes):
        return api(
            "post", "/api/v1/feedback", key=key or acme_key, json=feedback_body(**changes), headers=headers
        )

    return _post
