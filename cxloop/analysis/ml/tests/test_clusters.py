"""Clusters of texts that fit no theme: tight groups are found, noise is left out, each group has keywords
from its own texts and representatives nearest its centre, and the same input gives the same answer."""

from __future__ import annotations

import numpy as np
import pytest

from cxloop.analysis.ml import clusters

DIM = 384
TOPICS = {
    "points": [
        "My loyalty points expired without any warning",
        "The loyalty points I saved all year have expired",
        "Loyalty points vanished from my account overnight",
        "Where did my loyalty points go? They expired",
        "Expired loyalty points and nobody told me",
        "Loyalty points gone, expired with no email",
        "Why do loyalty points expire so fast",
    ],
    "chatbot": [
        "The chatbot goes round in circles",
        "Your chatbot never lets me reach a human",
        "Chatbot is useless, I want a human agent",
        "The chatbot keeps asking the same question",
        "I could not get past the chatbot to a human",
        "Chatbot answers nothing, please give me a human",
    ],
}


def unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def synthetic(seed: int = 7, noise: int = 12, spread: float = 0.15):
    """Two tight groups around random directions, and scattered texts that belong to none."""
    rng = np.random.default_rng(seed)
    vectors, texts, truth = [], [], []
    for name, sentences in TOPICS.items():
        centre = rng.normal(size=DIM)
        centre /= np.linalg.norm(centre)
        for sentence in sentences:
            vectors.append(centre + spread * rng.normal(size=DIM) / np.sqrt(DIM))
            texts.append(sentence)
            truth.append(name)
    for i in range(noise):
        vectors.append(rng.normal(size=DIM))
        texts.append(f"Something else entirely, number {i}, about weather and trains")
        truth.append(None)
    return unit(np.asarray(vectors, dtype=np.float32)), texts, truth


def members_of(found, truth):
    return [{truth[i] for i in c.members} for c in found]


def test_tight_groups_are_found_and_noise_left_out():
    vectors, texts, truth = synthetic()
    found = clusters.cluster(vectors, texts)
    assert members_of(found, truth) == [{"points"}, {"chatbot"}]  # the larger first
    assert [c.size for c in found] == [7, 6]
    assert set(found[0].members.tolist()) == {i for i, t in enumerate(truth) if t == "points"}
    assert all(np.all(np.diff(c.members) > 0) for c in found)  # ascending indices


def test_min_size_is_respected():
    vectors, texts, _ = synthetic()
    assert [c.size for c in clusters.cluster(vectors, texts, min_size=7)] == [7]
    assert clusters.cluster(vectors, texts, min_size=8) == []
    assert clusters.cluster(vectors[:3], texts[:3]) == []  # fewer texts than min_size


def test_keywords_and_label_come_from_the_groups_own_texts():
    vectors, texts, _ = synthetic()
    points, chatbot = clusters.cluster(vectors, texts)
    assert points.keywords[0] in ("loyalty points", "expired") and "loyalty points" in points.keywords
    assert "chatbot" in chatbot.keywords and "human" in chatbot.keywords
    assert not {"weather", "trains"} & set(points.keywords + chatbot.keywords)
    assert len(points.keywords) <= clusters.MAX_KEYWORDS
    assert points.label == " · ".join(points.keywords[:3]) or points.label == " · ".join(points.keywords[:2])
    assert "points" not in points.keywords  # the phrase stands in for its word


def test_representatives_are_the_members_closest_to_the_centre():
    vectors, texts, _ = synthetic()
    for c in clusters.cluster(vectors, texts):
        cosines = vectors[c.members] @ c.centroid
        assert np.isclose(np.linalg.norm(c.centroid), 1.0, atol=1e-5)
        expected = c.members[np.argsort(-cosines, kind="stable")][: clusters.REPRESENTATIVES]
        assert c.representatives.tolist() == expected.tolist()
        assert c.cohesion == pytest.approx(float(cosines.mean()), abs=1e-6)
        left_out = []
        for i in c.members:  # each member against the centre of the others
            others = unit(vectors[[j for j in c.members if j != i]].sum(axis=0, keepdims=True))[0]
            left_out.append(float(vectors[i] @ others))
        assert c.radius == pytest.approx(float(np.quantile(left_out, clusters.RADIUS_QUANTILE)), abs=1e-5)
        assert c.radius < float(np.quantile(cosines, clusters.RADIUS_QUANTILE))  # a new text is held fairly


def test_a_text_repeated_word_for_word_is_one_representative():
    vectors, texts, _ = synthetic()
    texts = [texts[0].upper() if i == 1 else t for i, t in enumerate(texts)]  # same words, other case
    vectors[1] = vectors[0]
    points = clusters.cluster(vectors, texts)[0]
    shown = [" ".join(texts[i].lower().split()) for i in points.representatives]
    assert len(shown) == len(set(shown)) == clusters.REPRESENTATIVES


def test_the_same_input_gives_the_same_clusters():
    vectors, texts, _ = synthetic()
    first, second = clusters.cluster(vectors, texts), clusters.cluster(vectors.copy(), list(texts))
    assert [(c.members.tolist(), c.keywords, c.representatives.tolist()) for c in first] == [
        (c.members.tolist(), c.keywords, c.representatives.tolist()) for c in second
    ]


def test_more_texts_than_max_points_are_sampled_and_the_rest_assigned_when_close():
    rng = np.random.default_rng(3)
    centres = unit(rng.normal(size=(3, DIM)))
    vectors = np.repeat(centres, 100, axis=0) + 0.3 * rng.normal(size=(300, DIM)) / np.sqrt(DIM)
    vectors = unit(np.vstack([vectors, rng.normal(size=(30, DIM))]).astype(np.float32))  # 30 strays
    texts = [f"group {i // 100} text" if i < 300 else "stray" for i in range(330)]
    found = clusters.cluster(vectors, texts, max_points=150, seed=1)
    assert sorted(texts[c.members[0]] for c in found) == ["group 0 text", "group 1 text", "group 2 text"]
    assert [len({texts[i] for i in c.members}) for c in found] == [1, 1, 1]  # each one group, no stray
    # about half of each group is sampled; the others join it when as close to its centre as 90% of its own
    assert all(90 <= c.size <= 100 for c in found)
    again = clusters.cluster(vectors, texts, max_points=150, seed=1)
    assert [c.members.tolist() for c in found] == [c.members.tolist() for c in again]


def test_unusable_vectors_join_no_cluster():
    vectors, texts, truth = synthetic()
    vectors[0] = 0.0
    vectors[1] = np.nan
    found = clusters.cluster(vectors, texts)
    points = next(c for c in found if truth[c.members[0]] == "points")
    assert points.members.tolist() == [2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match="one text per vector"):
        clusters.cluster(vectors, texts[:-1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "@shop Don't like it: my loyalty points expired!",
            ["loyalty", "points", "expired", "loyalty points", "points expired"],
        ),
        ("Call me on [phone] or see https://x.example/a", ["call"]),
        ("The customer's refund. Delay again", ["customer", "refund", "customer refund", "delay"]),
        (
            "Rückerstattung dauert ewig",
            ["rückerstattung", "dauert", "ewig", "rückerstattung dauert", "dauert ewig"],
        ),
    ],
)
def test_terms_are_words_and_adjacent_phrases_of_one_clause(text, expected):
    assert clusters.terms(text, clusters.stop_words()) == expected


def test_keyword_picking_prefers_phrases_and_skips_what_is_said_already():
    ranked = ["points", "loyalty points", "loyalty", "point", "chatbot goes", "goes round", "expired"]
    assert clusters._pick_terms(ranked, 5) == ["loyalty points", "chatbot goes", "expired"]
    assert clusters.label_of(["refund delay", "store credit", "a very long keyword phrase here"]) == (
        "refund delay · store credit"
    )
