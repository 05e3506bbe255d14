"""Fixtures of the feedback tests, on top of the shared cast in the root conftest."""

from __future__ import annotations

import pytest


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
