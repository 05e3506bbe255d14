"""Sentiment of a text: negative / neutral / positive, with a score in [-1, 1]. No Django.

The shipped head (heads.py, trained by train_heads.py on GoEmotions + BANKING77 problem reports) gives three
probabilities; the label is the likeliest class and the score is P(positive) - P(negative), so 0 is
"balanced or neutral", -1 "certainly negative". A workspace with its own labelled texts can train a
`heads.TrainableHead` instead (the "trained" rows of `cxloop eval`).
"""

from __future__ import annotations

import numpy as np

LABELS = ("negative", "neutral", "positive")


def from_proba(proba: np.ndarray, classes: list[str]) -> list[tuple[str, float]]:
    """(label, score) per row of class probabilities."""
    index = {c: j for j, c in enumerate(classes)}
    score = proba[:, index["positive"]] - proba[:, index["negative"]]
    best = proba.argmax(axis=1)
    return [(classes[j], round(float(s), 4)) for j, s in zip(best, score, strict=True)]


class ShippedSentiment:
    """The shipped head as a predict-only model (the out-of-the-box rows of `cxloop eval`)."""

    def __init__(self, heads=None):
        from .heads import ShippedHeads
        from .pipeline import embed_texts

        self.heads = heads or ShippedHeads.default()
        self.embed = embed_texts

    def predict_scored(self, texts) -> list[tuple[str, float]]:
        texts = list(texts)
        x = self.heads.features.transform(texts, self.embed(texts))
        return from_proba(self.heads.sentiment.proba(x), self.heads.sentiment.classes_)

    def predict(self, texts) -> list[str]:
        return [label for label, _ in self.predict_scored(texts)]


class ProductSentiment:
    """What the product stores: the whole reading (pipeline.read), with its problem rule; a text in a
    language the models do not read counts as neutral here."""

    def predict(self, texts) -> list[str]:
        from . import pipeline

        return [r.sentiment or "neutral" for r in pipeline.read(list(texts))]


def eval_model(task: str):
    """The product's models in `cxloop eval` (see evaluate/__init__.py)."""
    if task == "airline-sentiment-oob":
        return ProductSentiment()
    if task == "airline-sentiment":
        from .heads import TrainableHead
        from .pipeline import embed_texts

        return TrainableHead(embed_texts)
    return None
