"""heads, sentiment, emotion: the shipped heads load from their checked file, and read texts sensibly."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from cxloop.analysis.ml import emotion, heads, sentiment
from cxloop.analysis.ml.encoder import ModelFileError
from cxloop.analysis.ml.heads import Featurizer, LinearHead, ShippedHeads, TrainableHead


def fake_embed(texts):
    """Deterministic unit vectors from the words of each text (no model)."""
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for i, t in enumerate(texts):
        for w in t.lower().split():
            out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % 384] += 1
    out[:, 0] += 1e-3
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_the_shipped_file_has_the_pinned_sha256():
    assert hashlib.sha256(heads.HEADS_PATH.read_bytes()).hexdigest() == heads.HEADS_SHA256


def test_an_altered_file_is_refused(tmp_path):
    bad = tmp_path / "heads.npz"
    bad.write_bytes(heads.HEADS_PATH.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelFileError, match="sha256"):
        ShippedHeads.load(bad)


def test_shipped_heads_have_the_labels_the_product_reports():
    shipped = ShippedHeads.default()
    assert sorted(shipped.sentiment.classes_) == ["negative", "neutral", "positive"]
    assert len(shipped.emotion.classes_) == 28 and "neutral" in shipped.emotion.classes_
    assert {m for members in emotion.CX_EMOTIONS.values() for m in members} <= set(shipped.emotion.classes_)
    assert shipped.meta["format"] == 1 and "GoEmotions" in shipped.meta["trained_on"]


def test_save_and_load_round_trip_is_byte_for_byte_deterministic(tmp_path):
    texts = ["late parcel again", "lovely dress thank you", "where is my order", "great quality"] * 10
    labels = ["negative", "positive", "neutral", "positive"] * 10
    emb = fake_embed(texts)
    features = Featurizer.fit(texts, emb, max_words=100, max_chars=200)
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=500).fit(features.transform(texts, emb), labels)
    head = LinearHead.from_sklearn([model], list(model.classes_), multilabel=False)
    shipped = ShippedHeads(features, head, head, {"format": 1})
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    sha_a, sha_b = shipped.save(a), shipped.save(b)
    assert sha_a == sha_b and a.read_bytes() == b.read_bytes()
    loaded = ShippedHeads.load(a, sha_a)
    x = loaded.features.transform(texts[:4], emb[:4])
    np.testing.assert_allclose(
        loaded.sentiment.proba(x), model.predict_proba(features.transform(texts[:4], emb[:4])), atol=2e-3
    )


def test_our_tfidf_matches_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["the parcel was late", "late late late parcel", "lovely dress", "the dress was lovely, thanks"]
    reference = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), token_pattern=heads.WORD_PATTERN)
    expected = reference.fit_transform(texts).toarray()
    terms = sorted(reference.vocabulary_, key=reference.vocabulary_.__getitem__)
    ours = heads._Vocabulary(terms, reference.idf_.astype(np.float32), "word").transform(texts).toarray()
    np.testing.assert_allclose(ours, expected, atol=1e-6)


def test_two_class_softmax_equals_the_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    x = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]])
    model = LogisticRegression().fit(x, ["a", "b", "a", "b"])
    head = LinearHead.from_sklearn([model], ["a", "b"], multilabel=False)
    import scipy.sparse as sp

    np.testing.assert_allclose(head.proba(sp.csr_matrix(x)), model.predict_proba(x), atol=1e-6)


def test_sentiment_score_is_positive_minus_negative():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.2, 0.6, 0.2]])
    assert sentiment.from_proba(proba, ["negative", "neutral", "positive"]) == [
        ("negative", -0.6),
        ("positive", 0.7),
        ("neutral", 0.0),
    ]


def test_cx_emotions_keep_those_present_strongest_first():
    classes = ["anger", "annoyance", "gratitude", "joy", "neutral"]
    proba = np.array([[0.1, 0.6, 0.9, 0.05, 0.1], [0.01, 0.02, 0.03, 0.04, 0.9]])
    thresholds = np.full(5, 0.3)
    assert emotion.cx_emotions(proba, classes, thresholds) == [{"gratitude": 0.9, "frustration": 0.6}, {}]
    assert emotion.present(proba, classes, thresholds) == [("gratitude", "annoyance"), ("neutral",)]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Thank you so much, the dress is lovely and fits perfectly!", "positive"),
        ("Absolutely furious, this is the worst service I have ever had.", "negative"),
    ],
)
def test_shipped_sentiment_reads_clear_texts(text, label):
    assert sentiment.ShippedSentiment().predict([text]) == [label]


def test_shipped_emotions_read_gratitude_and_anger():
    thanks, angry = emotion.ShippedEmotions().predict(
        ["Thank you so much for your help!", "I am so angry, this is outrageous."]
    )
    assert "gratitude" in thanks and "anger" in angry


def test_a_trainable_head_learns_labels_from_few_examples():
    texts = [f"my card {w} not working" for w in ("is", "was", "still", "really")] + [
        f"what is the exchange rate for {c}" for c in ("euro", "dollar", "yen", "pound")
    ]
    labels = ["card_not_working"] * 4 + ["exchange_rate"] * 4
    head = TrainableHead(fake_embed).fit(texts, labels)
    assert head.predict(["card not working again", "exchange rate for francs"]) == [
        "card_not_working",
        "exchange_rate",
    ]
    assert head.predict_proba(["card"]).shape == (1, 2)
