"""Builders and assertions shared by the feedback and customers tests."""

from __future__ import annotations

import json
from copy import deepcopy

from cxloop.core.problems import PROBLEM_CONTENT_TYPE

# The item of the brief: one ticket from Zendesk with an NPS of 3, from a known customer.
TICKET = {
    "external_id": "t-1",
    "channel": "ticket",
    "source": "zendesk",
    "customer": {"external_id": "c-9", "email": "a@b.c"},
    "occurred_at": "2026-01-02T10:00:00Z",
    "text": "The parcel arrived broken and nobody answered my emails.",
    "answers": [{"key": "nps", "type": "nps", "value": 3}],
}


def feedback_body(**changes) -> dict:
    """A copy of TICKET with some fields replaced (a field set to ... is removed)."""
    body = deepcopy(TICKET)
    for name, value in changes.items():
        if value is ...:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def assert_problem(response, status: int) -> dict:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith(PROBLEM_CONTENT_TYPE)
    body = json.loads(response.content)
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


def error_locs(response) -> list[list[str]]:
    """The field paths of a 422 validation problem."""
    body = assert_problem(response, 422)
    assert body["type"].endswith("/validation-error")
    return [err["loc"] for err in body["errors"]]


def store_state(workspace) -> dict:
    """Every row of the feedback store of one workspace, as plain values.

    Taken before and after something that must not touch the workspace: equal snapshots mean nothing
    changed (no row added, removed, moved to another customer or re-parented by a merge).
    """
    from cxloop.customers.models import Customer, Event, Identity
    from cxloop.feedback.models import Answer, FeedbackItem

    return {
        "feedback": sorted(
            FeedbackItem.objects.filter(workspace=workspace).values_list(
                "pk", "customer_id", "external_id", "text"
            )
        ),
        "answers": sorted(Answer.objects.filter(workspace=workspace).values_list("pk", "item_id", "value")),
        "customers": sorted(
            Customer.objects.filter(workspace=workspace).values_list("pk", "name", "email", "merged_into_id")
        ),
        "identities": sorted(
            Identity.objects.filter(workspace=workspace).values_list("pk", "customer_id", "value", "is_alias")
        ),
        "events": sorted(Event.objects.filter(workspace=workspace).values_list("pk", "customer_id", "name")),
    }


def audit_actions(workspace) -> list[str]:
    from cxloop.accounts.models import AuditEvent

    return list(AuditEvent.objects.filter(workspace=workspace).values_list("action", flat=True))


def ingest(workspace, *bodies: dict) -> list:
    """Store feedback items straight through the ingest service; returns the items in order."""
    from cxloop.feedback.schemas import FeedbackIn
    from cxloop.feedback.services import feedback_ingest

    pairs = feedback_ingest(workspace=workspace, items=[FeedbackIn(**body) for body in bodies])
    return [item for item, _ in pairs]
