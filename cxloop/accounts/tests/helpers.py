"""Assertions shared by the accounts and web page tests."""

from __future__ import annotations

import re

from cxloop.accounts.models import ApiKey, Invitation, Membership, User, Workspace


def accounts_state() -> dict:
    """Every row a page of the accounts domain can change, as plain values.

    Taken before and after a refused action: equal snapshots mean nothing changed in the database.
    """
    return {
        "users": sorted(User.objects.values_list("pk", "email", "is_active", "password")),
        "workspaces": sorted(Workspace.objects.values_list("pk", "name", "slug")),
        "memberships": sorted(Membership.objects.values_list("pk", "workspace_id", "user_id", "role")),
        "invitations": sorted(
            Invitation.objects.values_list("pk", "workspace_id", "email", "role", "accepted_at", "revoked_at")
        ),
        "api_keys": sorted(ApiKey.objects.values_list("pk", "workspace_id", "name", "scopes", "revoked_at")),
    }


# Text that only a page about the Acme workspace can contain. The outsider's own email ends in
# @acme.example too, so pages are searched for Acme's member emails, not for the domain.
ACME_MARKERS = (
    "Acme",
    "owner@acme.example",
    "admin@acme.example",
    "analyst@acme.example",
    "agent@acme.example",
    "viewer@acme.example",
)


def assert_shows_no_acme_data(response, *extra: str) -> None:
    content = response.content.decode()
    leaked = [marker for marker in (*ACME_MARKERS, *extra) if marker in content]
    assert not leaked, f"the page shows Acme data: {leaked}"


def messages_of(response) -> list[str]:
    """The flash messages shown on a rendered page."""
    return [str(m) for m in response.context["messages"]] if response.context else []


def login_redirect(path: str) -> str:
    return f"/login/?next={path}"


_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def has_csrf_field(response) -> bool:
    return bool(_CSRF_INPUT.search(response.content.decode()))


def query_count(client, path: str) -> int:
    """How many SQL queries one GET of the page makes (it must answer 200)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)
