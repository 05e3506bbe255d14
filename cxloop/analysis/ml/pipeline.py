"""Reading many texts at once: clean each, tell its language, find personal data (kept as a redacted copy)
and the flags (urgency, churn intent, effort), then one encoder pass shared by every model: sentiment,
emotions, themes (from the workspace's taxonomy, each with the sentiment of the sentence that carries it)
and the embedding kept for semantic search.

`read(texts, themes=None) -> list[Reading]`, one per input in order. A text that cannot be read gets a
Reading with `error` set; the others in the batch are unaffected. A text without words (empty, emoji only)
is "neutral, language unknown". A text in a language the shipped models do not read (they read English)
gets its language, flags and personal data, and a note saying its sentiment, emotions and themes were not
read, rather than a guess. No Django here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import flags as flag_rules
from . import language, pii, text

READER = "read-3"  # the reading's own recipe; VERSION adds the models' identities
MODEL_LANGUAGES = frozenset({"en"})  # what the shipped sentiment/emotion/theme models were trained on
UNSUPPORTED_CONFIDENCE = 0.5  # below this, a non-English guess is not trusted enough to skip the models


PROBLEM_FLAGS = ("complaint", "effort", "churn", "urgency")


def with_problems(label: str, score: float, found: dict) -> tuple[str, float]:
    """A reported problem makes a neutral reading negative: "my parcel never arrived" has no emotional word
    for the model to read, but for a CX team it is a negative experience. The score moves to at most
    -0.5 x the strongest problem flag's score. Positive and negative readings are kept (a text can praise
    one thing and report a problem with another; its themes carry the sentiment of each part)."""
    strength = max((found[name]["score"] for name in PROBLEM_FLAGS if name in found), default=0.0)
    if label == "neutral" and strength:
        return "negative", round(min(score, -0.5 * strength), 4)
    return label, score


@dataclass
class Reading:
    language: str = "und"
    language_confidence: float = 0.0
    sentiment: str = ""
    sentiment_score: float | None = None
    emotions: dict[str, float] = field(default_factory=dict)
    themes: list[dict[str, Any]] = field(default_factory=list)
    flags: dict[str, dict[str, Any]] = field(default_factory=dict)
    pii: list[dict[str, Any]] = field(default_factory=list)
    redacted: str = ""
    notes: list[str] = field(default_factory=list)
    error: str = ""
    embedding: np.ndarray | None = field(default=None, repr=False)


def _models():
    from .encoder import Encoder
    from .heads import ShippedHeads

    return Encoder.default(), ShippedHeads.default()


def version() -> str:
    """Names every model a reading depends on (stored with it; a change makes the worker read again)."""
    from .heads import HEADS_SHA256

    encoder, _ = _models()
    return f"{READER}:{encoder.version}:heads-{HEADS_SHA256[:8]}"


def _rules(raw: str | bytes | None) -> tuple[Reading, str | None]:
    """The model-free part; returns the reading and the text to give the models (None: nothing to read)."""
    prepared = text.prepare(raw)
    reading = Reading(notes=list(prepared.notes))
    spans = pii.find(prepared.text)  # before anything else: a bare phone number has no words but is personal
    reading.pii = [{"kind": s.kind, "start": s.start, "end": s.end} for s in spans]
    reading.redacted = pii.redact(prepared.text, spans) if spans else prepared.text
    if not prepared.has_words:
        reading.sentiment, reading.sentiment_score = "neutral", 0.0
        return reading, None
    reading.language, reading.language_confidence = language.detect(prepared.text)
    found = flag_rules.flags(prepared.text, reading.language)
    reading.flags = {
        name: {"score": round(float(f.score), 3), "evidence": list(f.evidence)} for name, f in found.items()
    }
    if reading.language not in MODEL_LANGUAGES and reading.language_confidence >= UNSUPPORTED_CONFIDENCE:
        reading.notes.append(
            f"sentiment, emotions and themes are not read in this language ({reading.language}): "
            "the shipped models read English"
        )
        return reading, None
    return reading, prepared.text


def read_one(raw: str | bytes | None, themes=None) -> Reading:
    return read([raw], themes)[0]


def read(texts: Sequence[str | bytes | None], themes=None) -> list[Reading]:
    """Read a batch. `themes`: a themes.ThemeModel (the workspace's taxonomy), or None for no themes."""
    out: list[Reading] = []
    todo: list[tuple[int, str]] = []
    for raw in texts:
        try:
            reading, model_text = _rules(raw)
        except Exception as exc:  # one bad text never stops the batch
            reading, model_text = Reading(error=f"{type(exc).__name__}: {exc}"[:500]), None
        if model_text is not None:
            todo.append((len(out), model_text))
        out.append(reading)
    if todo:
        try:
            _read_with_models(out, todo, themes)
        except Exception:  # the models failed on the batch: read each text alone, so one bad text fails alone
            for item in todo:
                try:
                    _read_with_models(out, [item], themes)
                except Exception as exc:
                    out[item[0]].error = f"{type(exc).__name__}: {exc}"[:500]
    return out


MAX_SENTENCES = 32  # sentences of one text that are embedded (and searched for themes); the rest are noted


def embed(texts: Sequence[str], encoder=None):
    """One encoder pass over the sentences of the texts: (text vectors, sentences, sentence vectors).

    A text's vector is the L2-normalised mean of its sentences' vectors (a one-sentence text: its own), so
    the whole text and each aspect come out of the same pass; the sentiment and emotion heads are trained
    on vectors made the same way (train_heads.py). Each text's first MAX_SENTENCES sentences count.
    """
    from .encoder import DIM
    from .themes import sentences

    encoder = encoder or _models()[0]
    split = [[t[a:b] for a, b in sentences(t)][:MAX_SENTENCES] or [t] for t in texts]
    counts = np.fromiter((len(parts) for parts in split), dtype=np.int64, count=len(split))
    vectors = encoder.encode([s for parts in split for s in parts]) if len(split) else np.zeros((0, DIM))
    sums = np.zeros((len(split), DIM), dtype=np.float32)
    np.add.at(sums, np.repeat(np.arange(len(split)), counts), vectors)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    text_vectors = sums / np.maximum(norms, 1e-12)
    sentence_vectors = np.split(vectors, np.cumsum(counts)[:-1]) if len(split) else []
    return text_vectors, split, sentence_vectors


def embed_texts(texts: Sequence[str]) -> np.ndarray:
    """The text vectors of `embed` alone (what trainable heads and the evaluation use)."""
    return embed(list(texts))[0]


def _read_with_models(out: list[Reading], todo: list[tuple[int, str]], themes) -> None:
    from . import emotion, sentiment
    from .themes import sentences

    _, heads = _models()
    model_texts = [t for _, t in todo]
    text_vectors, split, sentence_vectors = embed(model_texts)
    x = heads.features.transform(model_texts, text_vectors)
    sentiments = sentiment.from_proba(heads.sentiment.proba(x), heads.sentiment.classes_)
    emotion_head = heads.emotion
    emotions = emotion.cx_emotions(emotion_head.proba(x), emotion_head.classes_, emotion_head.thresholds)
    for k, (i, text_k) in enumerate(todo):
        reading = out[i]
        reading.sentiment, reading.sentiment_score = with_problems(*sentiments[k], reading.flags)
        reading.emotions = emotions[k]
        reading.embedding = text_vectors[k]
        if len(split[k]) == MAX_SENTENCES and len(sentences(text_k)) > MAX_SENTENCES:
            reading.notes.append(f"read as its first {MAX_SENTENCES} sentences")
    if themes is None:
        return
    mentions = themes.assign(split, sentence_vectors, text_vectors)
    # the sentiment of each sentence that carries a theme (per-aspect sentiment)
    wanted = sorted({(k, m.sentence) for k, ms in enumerate(mentions) for m in ms})
    if wanted:
        rows_text = [split[k][s] for k, s in wanted]
        rows_vec = np.stack([sentence_vectors[k][s] for k, s in wanted])
        scored = sentiment.from_proba(
            heads.sentiment.proba(heads.features.transform(rows_text, rows_vec)), heads.sentiment.classes_
        )
        aspect = {}
        for (k, s), (label, score) in zip(wanted, scored, strict=True):
            found = flag_rules.flags(split[k][s], out[todo[k][0]].language)
            aspect[(k, s)] = with_problems(label, score, {n: {"score": f.score} for n, f in found.items()})
    for k, (i, _) in enumerate(todo):
        out[i].themes = [
            {
                "key": m.key,
                "path": m.path,
                "score": round(float(m.score), 3),
                "sentiment": aspect[(k, m.sentence)][0],
                "sentiment_score": aspect[(k, m.sentence)][1],
                "evidence": m.evidence,
            }
            for m in mentions[k]
        ]
        out[i].sentiment, out[i].sentiment_score = with_aspects(
            out[i].sentiment,
            out[i].sentiment_score,
            [aspect[key] for key in sorted(set((k, m.sentence) for m in mentions[k]))],
        )


def with_aspects(label: str, score: float, aspects: list[tuple[str, float]]) -> tuple[str, float]:
    """The whole text's sentiment where its themed sentences outvote it: "Great quality, but the parcel
    came a week late and the courier was rude" is read positive as a whole (its first words), but two of its
    three parts are complaints. When more distinct themed sentences carry the opposite sentiment than carry
    the text's own, the text takes theirs, with the mean score of its themed sentences. Each sentence
    counts once however many themes it carries."""
    if label not in ("positive", "negative") or not aspects:
        return label, score
    opposite = "negative" if label == "positive" else "positive"
    against = sum(1 for a, _ in aspects if a == opposite)
    along = sum(1 for a, _ in aspects if a == label)
    if against > along:
        return opposite, round(sum(s for _, s in aspects) / len(aspects), 4)
    return label, score


class FullReading:
    """The whole reading as a predict-only model: `cxloop eval`'s speed task times it (language, personal
    data, flags, one encoder pass, sentiment, emotions, the online-retail template's themes with their
    per-sentence sentiment, the embedding)."""

    def __init__(self, template: str = "online_retail"):
        from cxloop.analysis.taxonomies import template_theme_model

        self.themes = template_theme_model(template)

    def predict(self, texts) -> list[str]:
        return [r.sentiment or "neutral" for r in read(list(texts), self.themes)]


def eval_model(task: str):
    return FullReading() if task == "speed" else None
