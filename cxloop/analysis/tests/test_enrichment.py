"""Every text that enters the store is read in the background: language, personal data, flags."""

from __future__ import annotations

import pytest

from cxloop.analysis import services
from cxloop.analysis.ml import pipeline
from cxloop.analysis.models import Enrichment
from cxloop.feedback.models import FeedbackItem

pytestmark = pytest.mark.django_db

TEXT = "Two weeks late and no reply. Call me on 07700 900123. I'm cancelling my subscription."


def test_posted_feedback_is_read_once_committed_and_shown_by_the_api(
    api, acme_key, post_feedback, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = post_feedback(text=TEXT)
    assert created.status_code == 201, created.content
    item = api("get", f"/api/v1/feedback/{created.json()['id']}", key=acme_key).json()
    e = item["enrichment"]
    assert e["status"] == "done" and e["language"] == "en"
    assert e["model_version"] == services.reading_version(None) == pipeline.version()
    assert e["sentiment"] == "negative" and -1 <= e["sentiment_score"] < -0.3
    assert "[phone]" in e["redacted_text"] and "07700" not in e["redacted_text"]
    assert e["pii"] == [{"kind": "phone", "start": 40, "end": 52}]
    assert e["flags"]["churn"]["evidence"] == ["cancelling my subscription"]
    assert item["text"] == TEXT  # the original stays; the redacted copy is beside it


def test_feedback_without_text_is_not_queued(post_feedback, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post_feedback(text="", title="")
    assert not Enrichment.objects.exists()


def test_unread_item_has_no_enrichment_in_the_api(api, acme_key, post_feedback):
    created = post_feedback(text=TEXT)  # on_commit not run: the worker has not read it yet
    assert api("get", f"/api/v1/feedback/{created.json()['id']}", key=acme_key).json()["enrichment"] is None


def test_a_text_that_fails_is_marked_failed_and_the_batch_goes_on(post_feedback, monkeypatch):
    ids = [
        post_feedback(external_id=f"e-{i}", text=f"text number {i} about a late parcel").json()["id"]
        for i in range(3)
    ]
    real = pipeline._rules

    def flaky(raw):
        if "number 1" in raw:
            raise ValueError("model fell over")
        return real(raw)

    monkeypatch.setattr(pipeline, "_rules", flaky)
    assert services.enrich_items(item_ids=ids) == 3
    by_item = {e.item_id: e for e in Enrichment.objects.all()}
    assert [by_item[i].status for i in ids] == ["done", "failed", "done"]
    assert by_item[ids[1]].error == "ValueError: model fell over"


def test_reading_again_updates_in_place(post_feedback):
    item_id = post_feedback(text=TEXT).json()["id"]
    services.enrich_items(item_ids=[item_id])
    FeedbackItem.objects.filter(pk=item_id).update(text="Lovely linen, fast delivery.")
    services.enrich_items(item_ids=[item_id])
    e = Enrichment.objects.get()
    assert e.pii == [] and e.flags == {} and e.redacted_text == "Lovely linen, fast delivery."


def test_stale_items_are_queued_for_the_worker(cast, post_feedback, django_capture_on_commit_callbacks):
    a = post_feedback(external_id="a", text=TEXT).json()["id"]
    b = post_feedback(external_id="b", text="Great service").json()["id"]
    services.enrich_items(item_ids=[a])
    Enrichment.objects.filter(item_id=a).update(model_version="old")
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.enrich_stale(workspace=cast.workspace)
    assert queued == 2
    assert set(Enrichment.objects.values_list("item_id", "model_version")) == {
        (a, pipeline.version()),
        (b, pipeline.version()),
    }


@pytest.mark.parametrize(
    ("raw", "language", "note"),
    [
        ("", "und", "empty"),
        ("🙂🙂🙂", "und", "no words"),
        ("<p>Great <b>service</b></p>", "en", "markup removed"),
        ("x" * 100_000, "und", "truncated from"),
    ],
)
def test_bad_input_gets_a_defined_reading(raw, language, note):
    (reading,) = pipeline.read([raw])
    assert reading.error == ""
    assert reading.language == language or note == "truncated from"
    assert any(n.startswith(note) for n in reading.notes)


def test_inbox_drawer_shows_the_reading_or_says_it_is_waiting(login, cast, post_feedback):
    item_id = post_feedback(text=TEXT).json()["id"]
    client = login(cast.viewer)
    assert "Not read yet" in client.get(f"/inbox/{item_id}/").content.decode()
    services.enrich_items(item_ids=[item_id])
    page = client.get(f"/inbox/{item_id}/").content.decode()
    assert "Flag: churn" in page and "cancelling my subscription" in page
    assert "redacted copy" in page and "[phone]" in page


def test_a_bare_phone_number_is_redacted_too():
    (reading,) = pipeline.read(["07700 900123"])
    assert reading.redacted == "[phone]" and reading.pii[0]["kind"] == "phone"
    assert reading.language == "und" and reading.sentiment == "neutral"


def test_models_fail_for_one_text_only(post_feedback, monkeypatch):
    """When the models fail on a batch, each text is read alone, so only the text that breaks them fails."""
    ids = [post_feedback(external_id=f"m-{i}", text=f"parcel {i} was late").json()["id"] for i in range(3)]
    from cxloop.analysis.ml import heads

    features = heads.ShippedHeads.default().features
    real = features.transform

    def flaky(texts, embeddings):
        if any("parcel 1" in t for t in texts):
            raise RuntimeError("heads fell over")
        return real(texts, embeddings)

    monkeypatch.setattr(features, "transform", flaky)
    services.enrich_items(item_ids=ids)
    by_item = {e.item_id: e for e in Enrichment.objects.all()}
    assert [by_item[i].status for i in ids] == ["done", "failed", "done"]
    assert by_item[ids[0]].sentiment and by_item[ids[1]].error == "RuntimeError: heads fell over"


def test_sentiment_emotions_and_embedding_are_kept(post_feedback):
    item_id = post_feedback(text="Thank you so much, the dress is lovely and fits perfectly!").json()["id"]
    services.enrich_items(item_ids=[item_id])
    e = Enrichment.objects.get()
    assert e.sentiment == "positive" and e.sentiment_score > 0.5
    assert "gratitude" in e.emotions
    import numpy as np

    vector = np.frombuffer(bytes(e.embedding), dtype=np.float16)
    assert vector.shape == (384,) and abs(float(np.linalg.norm(vector.astype(np.float32))) - 1) < 0.01


def test_a_language_the_models_do_not_read_is_said_plainly():
    (reading,) = pipeline.read(["Das Paket kam viel zu spät an, ich bin sehr enttäuscht vom Service."])
    assert reading.language == "de" and reading.sentiment == "" and reading.sentiment_score is None
    assert any("not read in this language (de)" in n for n in reading.notes)
