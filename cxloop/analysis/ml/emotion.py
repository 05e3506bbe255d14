"""Emotions of a text: the set CX teams use, read by the shipped 28-label GoEmotions head. No Django.

The head (heads.py, trained by train_heads.py) gives one probability per GoEmotions label; a label is
present at or above its threshold (tuned on the GoEmotions dev split). The product reports eight CX emotions,
each the strongest of the GoEmotions labels it gathers (CX_EMOTIONS); only those present are kept.
"""

from __future__ import annotations

import numpy as np

# CX emotion -> the GoEmotions labels it gathers. Labels not listed (curiosity, desire, caring, pride, …)
# are read but not reported as a CX emotion.
CX_EMOTIONS: dict[str, tuple[str, ...]] = {
    "anger": ("anger", "disgust"),
    "frustration": ("annoyance", "disapproval"),
    "disappointment": ("disappointment", "sadness"),
    "worry": ("fear", "nervousness"),
    "confusion": ("confusion",),
    "satisfaction": ("approval", "relief", "optimism"),
    "gratitude": ("gratitude",),
    "delight": ("joy", "excitement", "amusement", "love", "admiration"),
}
# GoEmotions' own sentiment grouping (its sentiment_dict.json); "neutral" is its own group.
GROUPS: dict[str, tuple[str, ...]] = {
    "positive": (
        "amusement", "excitement", "joy", "love", "desire", "optimism", "caring", "pride", "admiration",
        "gratitude", "relief", "approval",
    ),
    "negative": (
        "fear", "nervousness", "remorse", "embarrassment", "disappointment", "sadness", "grief", "disgust",
        "anger", "annoyance", "disapproval",
    ),
    "ambiguous": ("realization", "surprise", "curiosity", "confusion"),
    "neutral": ("neutral",),
}  # fmt: skip
GROUP_OF = {label: group for group, labels in GROUPS.items() for label in labels}


def present(proba: np.ndarray, classes: list[str], thresholds: np.ndarray) -> list[tuple[str, ...]]:
    """The GoEmotions labels at or above their thresholds, per row; the likeliest one if none is."""
    above = proba >= thresholds
    out = []
    for row, hits in zip(proba, above, strict=True):
        js = np.flatnonzero(hits)
        if not len(js):
            js = [int(row.argmax())]
        out.append(tuple(classes[j] for j in sorted(js, key=lambda j: -row[j])))
    return out


def cx_emotions(proba: np.ndarray, classes: list[str], thresholds: np.ndarray) -> list[dict[str, float]]:
    """Per row, the CX emotions present with their scores (the probability of the strongest member label),
    strongest first."""
    index = {c: j for j, c in enumerate(classes)}
    out = []
    for row in proba:
        found = {}
        for name, members in CX_EMOTIONS.items():
            js = [index[m] for m in members if m in index]
            if not js:
                continue
            j = max(js, key=lambda j: row[j])
            if row[j] >= thresholds[j]:
                found[name] = round(float(row[j]), 3)
        out.append(dict(sorted(found.items(), key=lambda kv: -kv[1])))
    return out


class ShippedEmotions:
    """The shipped head as a predict-only model: 28 GoEmotions labels, or (`grouped`) their sentiment
    groups, as `cxloop eval` scores them."""

    def __init__(self, grouped: bool = False, heads=None):
        from .heads import ShippedHeads
        from .pipeline import embed_texts

        self.grouped = grouped
        self.heads = heads or ShippedHeads.default()
        self.embed = embed_texts

    def predict(self, texts) -> list[tuple[str, ...]]:
        texts = list(texts)
        head = self.heads.emotion
        x = self.heads.features.transform(texts, self.embed(texts))
        labels = present(head.proba(x), head.classes_, head.thresholds)
        if not self.grouped:
            return labels
        return [tuple(sorted({GROUP_OF[label] for label in row})) for row in labels]


def eval_model(task: str):
    if task == "goemotions-28":
        return ShippedEmotions()
    if task == "goemotions-sentiment":
        return ShippedEmotions(grouped=True)
    return None
