"""Selectors of the feedback store that pages build menus from."""

from datetime import UTC, datetime

from cxloop.feedback.schemas import FeedbackIn
from cxloop.feedback.selectors import sources
from cxloop.feedback.services import feedback_ingest


def _items(*source_names):
    return [
        FeedbackIn(channel="review", source=name, occurred_at=datetime(2026, 1, 1, tzinfo=UTC), text=str(i))
        for i, name in enumerate(source_names)
    ]


def test_sources_are_distinct_sorted_and_of_this_workspace_only(cast):
    feedback_ingest(
        workspace=cast.workspace, items=_items("Zendesk", "Trustpilot", "Zendesk", "", "App Store")
    )
    feedback_ingest(workspace=cast.other_workspace, items=_items("Secret source", "Aardvark"))

    assert sources(workspace=cast.workspace) == ["App Store", "Trustpilot", "Zendesk"]
    assert sources(workspace=cast.other_workspace) == ["Aardvark", "Secret source"]


def test_sources_of_an_empty_workspace_is_an_empty_list(cast):
    assert sources(workspace=cast.workspace) == []


def test_sources_stop_at_the_limit(cast):
    feedback_ingest(workspace=cast.workspace, items=_items("a", "b", "c", "d"))
    assert sources(workspace=cast.workspace, limit=2) == ["a", "b"]
