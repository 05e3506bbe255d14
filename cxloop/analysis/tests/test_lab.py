"""Analytics › Text lab: every label of a pasted text, with the workspace's own taxonomy; nothing stored."""

from __future__ import annotations

import pytest

from cxloop.analysis import services
from cxloop.analysis.ml import pipeline
from cxloop.analysis.models import Enrichment
from cxloop.feedback.models import FeedbackItem

pytestmark = pytest.mark.django_db

COMPLAINT = (
    "My parcel arrived two weeks late and the box was crushed. The driver was rude. Call me on 07700 900123."
)


def test_the_lab_shows_every_label_with_its_score(login, cast):
    services.taxonomy_from_template(workspace=cast.workspace, template="online_retail")
    client = login(cast.viewer)
    assert "Paste a text" in client.get("/analytics/lab/").content.decode()
    page = client.post("/analytics/lab/", {"text": COMPLAINT}).content.decode()
    assert "<strong>negative</strong>" in page and "model probabilities" in page
    assert "Delivery › Late delivery" in page and "Delivery › Damaged in transit" in page
    assert "complaint" in page and "arrived two weeks late" in page
    assert "[phone]" in page and "Emotions" in page and f"Models: {pipeline.READER}" in page
    assert not FeedbackItem.objects.exists() and not Enrichment.objects.exists()  # nothing stored


def test_the_lab_says_what_it_cannot_read(login, cast):
    client = login(cast.viewer)
    resp = client.post("/analytics/lab/", {"text": "   "})
    assert resp.status_code == 400 and "Paste a text" in resp.content.decode()
    resp = client.post("/analytics/lab/", {"text": "x" * 5001})
    assert resp.status_code == 400 and "up to 5,000 characters" in resp.content.decode()
    page = client.post("/analytics/lab/", {"text": "Lovely dress, thank you!"}).content.decode()
    assert "start a taxonomy" in page  # no themes in the workspace yet
    page = client.post("/analytics/lab/", {"text": "Das Paket kam viel zu spät an, sehr enttäuschend."})
    assert "not read in this language (de)" in page.content.decode()


def test_text_is_escaped(login, cast):
    page = login(cast.viewer).post("/analytics/lab/", {"text": "<script>alert(1)</script> late parcel"})
    assert "<script>alert(1)</script>" not in page.content.decode()


def test_the_lab_is_rate_limited(login, cast, monkeypatch):
    from cxloop.analysis import views_lab

    monkeypatch.setattr(views_lab, "RATE_PER_MINUTE", 1)
    client = login(cast.viewer)
    assert client.post("/analytics/lab/", {"text": "fine"}).status_code == 200
    resp = client.post("/analytics/lab/", {"text": "fine"})
    assert resp.status_code == 429 and "Too many readings" in resp.content.decode()


def test_outsider_reads_with_their_own_taxonomy_only(login, cast):
    services.taxonomy_from_template(workspace=cast.workspace, template="online_retail")
    page = login(cast.outsider).post("/analytics/lab/", {"text": COMPLAINT}).content.decode()
    assert "Late delivery" not in page and "start a taxonomy" in page
    assert not Enrichment.objects.exists()
