"""Fixtures of the accounts page tests, on top of the shared cast in the root conftest."""

from __future__ import annotations

import pytest
from django.test import Client

from cxloop.accounts.models import Membership

from .helpers import accounts_state


@pytest.fixture
def snapshot():
    """snapshot() -> the current state of users, workspaces, memberships, invitations and keys."""
    return accounts_state


@pytest.fixture
def member_of(cast):
    """member_of(role) -> that person's Membership in the Acme workspace."""

    def _member(role: str) -> Membership:
        return Membership.objects.get(workspace=cast.workspace, user=cast.user(role))

    return _member


@pytest.fixture
def acme_invitation(cast, member_of):
    """A pending invitation to Acme, sent by its owner."""
    from cxloop.accounts.services import invitation_create

    return invitation_create(actor_membership=member_of("owner"), email="newhire@example.com", role="agent")


@pytest.fixture
def acme_key(cast):
    """An active API key of Acme, with a name only Acme pages may show."""
    from cxloop.accounts.services import api_key_create

    return api_key_create(workspace=cast.workspace, name="Acme CRM sync", scopes=["read"], actor=cast.owner)


@pytest.fixture
def outsider_client(cast):
    """A second browser, logged in as the outsider (member only of Other Co)."""
    client = Client()
    client.force_login(cast.outsider)
    return client
