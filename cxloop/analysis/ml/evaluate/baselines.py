"""The baselines `cxloop eval` runs beside the product, as models (see the package docstring). No Django.

TfidfLR and EmbeddingLR are written to serve later as per-workspace heads: seeded, fast, fit/predict/proba.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Sequence

import numpy as np

from .metrics import is_multilabel, labels_from_proba

SEED = 0
PRODUCT_MODULES = (
    "cxloop.analysis.ml.sentiment",
    "cxloop.analysis.ml.emotion",
    "cxloop.analysis.ml.themes",
    "cxloop.analysis.ml.intent",
    "cxloop.analysis.ml.pipeline",
)


class Skip(Exception):
    """A column cannot run here (a package or model is missing); the message says why."""


class Majority:
    """Predicts the commonest training label (on multi-label tasks: the commonest single label)."""

    name = "majority"

    def fit(self, texts, labels):
        multilabel = is_multilabel(labels)
        counts = Counter(c for x in labels for c in (x if multilabel else [x]))
        top = min(counts, key=lambda c: (-counts[c], c))
        self.label_ = (top,) if multilabel else top
        return self

    def predict(self, texts):
        return [self.label_] * len(texts)


class Vader:
    """VADER's compound score with the usual ±0.05 cut-offs (no training). Needs the `bench` extra."""

    name = "VADER"

    def __init__(self):
        try:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        except ImportError as exc:
            raise Skip('vaderSentiment is not installed (pip install -e ".[bench]")') from exc
        self._analyzer = SentimentIntensityAnalyzer()

    def predict(self, texts):
        scores = (self._analyzer.polarity_scores(t)["compound"] for t in texts)
        return ["positive" if s >= 0.05 else "negative" if s <= -0.05 else "neutral" for s in scores]


class _LinearHead:
    """Shared by the TF-IDF and embedding heads: logistic regression, one-vs-rest on multi-label data."""

    def _features_fit(self, texts):
        raise NotImplementedError

    def _features(self, texts):
        raise NotImplementedError

    def _classifier(self, multilabel: bool):
        raise NotImplementedError

    def fit(self, texts, labels):
        from sklearn.multiclass import OneVsRestClassifier

        x = self._features_fit(list(texts))
        self.multilabel_ = is_multilabel(labels)
        if self.multilabel_:
            self.classes_ = sorted({c for row in labels for c in row})
            index = {c: j for j, c in enumerate(self.classes_)}
            y = np.zeros((len(labels), len(self.classes_)), dtype=np.int8)
            for i, row in enumerate(labels):
                y[i, [index[c] for c in row]] = 1
            self.model_ = OneVsRestClassifier(self._classifier(True)).fit(x, y)
        else:
            self.model_ = self._classifier(False).fit(x, list(labels))
            self.classes_ = [str(c) for c in self.model_.classes_]
        return self

    def predict_proba(self, texts) -> np.ndarray:
        return self.model_.predict_proba(self._features(list(texts)))

    def predict(self, texts):
        proba = self.predict_proba(texts)
        if self.multilabel_:
            return labels_from_proba(proba, self.classes_, self.threshold)
        return [self.classes_[j] for j in proba.argmax(axis=1)]


class TfidfLR(_LinearHead):
    """TF-IDF of words and word pairs (sublinear tf, terms in ≥ 2 texts) + logistic regression.

    C defaults to 10 for one label per text (saga: 7× faster than lbfgs on BANKING77, same accuracy) and to 4
    for the per-label binary models of multi-label data (liblinear), the settings of the reference runs in
    the data sets' SOURCE.md files.
    """

    name = "TF-IDF+LR"

    def __init__(self, C: float | None = None, threshold: float = 0.5, seed: int = SEED):
        self.C, self.threshold, self.seed = C, threshold, seed

    def _features_fit(self, texts):
        from sklearn.feature_extraction.text import TfidfVectorizer

        min_df = 2 if len(texts) >= 100 else 1
        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=min_df)
        return self.vectorizer_.fit_transform(texts)

    def _features(self, texts):
        return self.vectorizer_.transform(texts)

    def _classifier(self, multilabel):
        from sklearn.linear_model import LogisticRegression

        if multilabel:
            return LogisticRegression(C=self.C or 4, solver="liblinear", random_state=self.seed)
        return LogisticRegression(C=self.C or 10, solver="saga", max_iter=1000, random_state=self.seed)


class EmbeddingLR(_LinearHead):
    """Sentence embeddings (any ``encode(texts) -> ndarray`` object), standardised, + logistic regression.

    A text is encoded once per call; wrap the encoder in CachedEncoder to share embeddings across models.
    C = 0.1 had the best 3-fold cross-validated macro-F1 of {0.1, 0.3, 1, 3, 10} on the airline and BANKING77
    training splits (0.745 and 0.918; the test splits were not looked at), by a small margin (≤ 0.01).
    """

    name = "MiniLM+LR"

    def __init__(self, encoder, C: float = 0.1, threshold: float = 0.5, seed: int = SEED):
        self.encoder, self.C, self.threshold, self.seed = encoder, C, threshold, seed

    def _features_fit(self, texts):
        from sklearn.preprocessing import StandardScaler

        self.scaler_ = StandardScaler()
        return self.scaler_.fit_transform(np.asarray(self.encoder.encode(texts), dtype=np.float32))

    def _features(self, texts):
        return self.scaler_.transform(np.asarray(self.encoder.encode(texts), dtype=np.float32))

    def _classifier(self, multilabel):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, max_iter=2000, random_state=self.seed)


class ZeroShotLexical:
    """Zero-shot from label names: the name whose character n-grams (TF-IDF) are closest to the text.

    `corpus` (unlabelled texts) only sets the n-gram weights. A text sharing nothing with any name gets
    `fallback` (the "none of these" label, which is not matched by its own name), or the first name.
    """

    name = "names (TF-IDF)"

    def __init__(self, names: dict[str, str], corpus: Sequence[str] = (), fallback: str | None = None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.labels = list(names)
        self.fallback = fallback
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        self.vectorizer.fit([*corpus, *names.values()])
        self.names_ = self.vectorizer.transform(list(names.values()))

    def predict(self, texts):
        similarity = (self.vectorizer.transform(list(texts)) @ self.names_.T).toarray()
        best = similarity.argmax(axis=1)
        default = self.fallback or self.labels[0]
        return [self.labels[j] if row[j] > 0 else default for j, row in zip(best, similarity, strict=True)]


class ZeroShotEmbedding:
    """Zero-shot from label names: the name whose sentence embedding is closest (cosine) to the text's."""

    name = "names (MiniLM)"

    def __init__(self, encoder, names: dict[str, str]):
        self.encoder, self.labels = encoder, list(names)
        self.names_ = _unit(np.asarray(encoder.encode(list(names.values())), dtype=np.float32))

    def predict(self, texts):
        vectors = _unit(np.asarray(self.encoder.encode(list(texts)), dtype=np.float32))
        return [self.labels[j] for j in (vectors @ self.names_.T).argmax(axis=1)]


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class CachedEncoder:
    """Encodes each distinct text once per run, so the embedding columns of every task share one pass."""

    def __init__(self, encoder):
        self.encoder, self.cache = encoder, {}

    def encode(self, texts):
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if todo:
            self.cache.update(zip(todo, np.asarray(self.encoder.encode(todo), dtype=np.float32), strict=True))
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)


def load_encoder():
    """The product's sentence encoder (cxloop.analysis.ml.encoder), or Skip saying why it is unavailable."""
    try:
        from cxloop.analysis.ml.encoder import Encoder
    except ImportError as exc:
        raise Skip(f"the encoder is not importable ({exc})") from exc
    try:
        return Encoder.default()
    except Exception as exc:
        raise Skip(f"the encoder did not load ({type(exc).__name__}: {exc})") from exc


def product_model(task: str):
    """The product's model for `task` from the first PRODUCT_MODULES `eval_model` that gives one, or None."""
    for name in PRODUCT_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # the module itself is not written yet
                continue
            raise
        hook = getattr(module, "eval_model", None)
        model = hook(task) if hook else None
        if model is not None:
            return model
    return None
