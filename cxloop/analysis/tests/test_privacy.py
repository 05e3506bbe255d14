"""A workspace that keeps no original texts: personal data is replaced in the stored text once it is read,
and switching the setting off redacts what is stored already."""

from __future__ import annotations

import pytest

from cxloop.accounts.models import AuditEvent
from cxloop.analysis import services
from cxloop.analysis.models import Enrichment, ThemeMention
from cxloop.feedback.models import FeedbackItem

pytestmark = pytest.mark.django_db

TEXT = "My parcel arrived two weeks late. Call me on 07700 900123 or write to jo@example.com."


def test_originals_are_kept_by_default(post_feedback):
    item_id = post_feedback(text=TEXT).json()["id"]
    services.enrich_items(item_ids=[item_id])
    assert FeedbackItem.objects.get(pk=item_id).text == TEXT
    assert "[phone]" in Enrichment.objects.get(item_id=item_id).redacted_text


def test_a_workspace_without_originals_stores_the_redacted_text_once_read(cast, post_feedback):
    services.taxonomy_from_template(workspace=cast.workspace, template="online_retail")
    cast.workspace.keep_original_text = False
    cast.workspace.save()
    item_id = post_feedback(text=TEXT, title="Reach me at jo@example.com").json()["id"]
    services.enrich_items(item_ids=[item_id])
    item = FeedbackItem.objects.get(pk=item_id)
    assert "07700" not in item.text and "[phone]" in item.text and "[email]" in item.text
    assert item.title == "Reach me at [email]"
    assert Enrichment.objects.get(item_id=item_id).sentiment == "negative"  # read from the original first
    for evidence in ThemeMention.objects.filter(item_id=item_id).values_list("evidence", flat=True):
        assert "07700" not in evidence


def test_switching_off_redacts_texts_already_stored(
    cast, login, post_feedback, django_capture_on_commit_callbacks
):
    item_id = post_feedback(text=TEXT).json()["id"]
    services.enrich_items(item_ids=[item_id])
    client = login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/settings/workspace/privacy/", {}, follow=True)
    assert response.status_code == 200
    cast.workspace.refresh_from_db()
    assert cast.workspace.keep_original_text is False
    assert "[phone]" in FeedbackItem.objects.get(pk=item_id).text
    event = AuditEvent.objects.get(action=AuditEvent.Action.WORKSPACE_UPDATED)
    assert event.data == {"keep_original_text": [True, False]}
    page = client.get("/settings/").content.decode()
    assert (
        'name="keep_original_text"' in page
        and " checked" not in page.split('name="keep_original_text"')[1][:20]
    )


@pytest.mark.parametrize("role", ["analyst", "agent", "viewer"])
def test_only_owners_and_admins_change_it(cast, login, role):
    response = login(cast.user(role)).post("/settings/workspace/privacy/", {})
    assert response.status_code == 403
    cast.workspace.refresh_from_db()
    assert cast.workspace.keep_original_text is True


def test_outsider_cannot_change_acme_privacy(cast, login, post_feedback, django_capture_on_commit_callbacks):
    item_id = post_feedback(text=TEXT).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        login(cast.outsider).post("/settings/workspace/privacy/", {})
    cast.workspace.refresh_from_db()
    assert cast.workspace.keep_original_text is True
    assert FeedbackItem.objects.get(pk=item_id).text == TEXT
