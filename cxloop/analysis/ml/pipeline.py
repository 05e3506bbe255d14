"""Reading many texts at once: clean each, tell its language, find personal data (kept as a redacted copy) and
the flags (urgency, churn intent, effort). Sentiment, emotions and themes join here as their models land,
sharing one encoder pass.

`read(texts) -> list[Reading]`, one per input in order. A text that cannot be read gets a Reading with
`error` set; the others in the batch are unaffected. A text without words (empty, emoji only) is "neutral,
language unknown". No Django here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import flags as flag_rules
from . import language, pii, text

VERSION = "rules-1"  # which models produced a reading; a new version makes the worker read texts again


@dataclass
class Reading:
    language: str = "und"
    language_confidence: float = 0.0
    sentiment: str = ""
    sentiment_score: float | None = None
    emotions: dict[str, float] = field(default_factory=dict)
    flags: dict[str, dict[str, Any]] = field(default_factory=dict)
    pii: list[dict[str, Any]] = field(default_factory=list)
    redacted: str = ""
    notes: list[str] = field(default_factory=list)
    error: str = ""


def read_one(raw: str | bytes | None) -> Reading:
    prepared = text.prepare(raw)
    reading = Reading(notes=list(prepared.notes))
    spans = pii.find(prepared.text)  # before anything else: a bare phone number has no words but is personal
    reading.pii = [{"kind": s.kind, "start": s.start, "end": s.end} for s in spans]
    reading.redacted = pii.redact(prepared.text, spans) if spans else prepared.text
    if not prepared.has_words:
        reading.sentiment, reading.sentiment_score = "neutral", 0.0
        return reading
    reading.language, reading.language_confidence = language.detect(prepared.text)
    found = flag_rules.flags(prepared.text, reading.language)
    reading.flags = {
        name: {"score": round(float(f.score), 3), "evidence": list(f.evidence)} for name, f in found.items()
    }
    return reading


def read(texts: Sequence[str | bytes | None]) -> list[Reading]:
    out = []
    for raw in texts:
        try:
            out.append(read_one(raw))
        except Exception as exc:  # one bad text never stops the batch
            out.append(Reading(error=f"{type(exc).__name__}: {exc}"[:500]))
    return out
