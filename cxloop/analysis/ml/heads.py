"""The text classifiers that share one encoder pass: features and linear heads. No Django.

Features of a text (`Featurizer`): TF-IDF of its words and word pairs, TF-IDF of its character 2–5-grams
(within word boundaries: typos, hashtags and inflections still match), and its sentence embedding,
standardised and down-weighted (`embedding_weight`) so that neither kind swamps the other. On the evaluation
data this mix beats either part alone (GoEmotions 28-label macro-F1 0.475 vs 0.437 for TF-IDF and 0.369 for
the embedding; airline sentiment trained 0.778 vs 0.728 and 0.749 — docs/models.md).

Heads (`LinearHead`): logistic regression weights, softmax over the classes (one label per text) or one
sigmoid per label (multi-label, each with its probability threshold). The shipped heads (sentiment and
emotion, trained on public CC BY 4.0 data by `train_heads.py`) live in one .npz file checked against its
sha256 at load; `TrainableHead` is the same recipe fitted on a workspace's own labelled texts.

The vectorisers keep only their vocabulary and idf weights: transforming uses a fixed-vocabulary
CountVectorizer and the TF-IDF arithmetic (1 + log tf, × idf, L2 row norm), so a file written by one
scikit-learn version reads the same under another.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .encoder import ModelFileError  # a missing, altered or malformed model file

DATA = Path(__file__).resolve().parent / "data"
HEADS_PATH = DATA / "heads-1.npz"
#: sha256 of data/heads-1.npz, as written by `python -m cxloop.analysis.ml.train_heads`.
HEADS_SHA256 = "e814864ce05fc2cbfe56f68af3537621fdf711ebbfa853a969a10050414a78d7"
WORD_PATTERN = r"(?u)\b\w\w+\b"


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    x = counts.astype(np.float32).tocsr()
    np.log(x.data, out=x.data)
    x.data += 1.0
    x = x @ sp.diags(idf.astype(np.float32))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms.astype(np.float32)) @ x)


@dataclass
class _Vocabulary:
    terms: list[str]
    idf: np.ndarray
    analyzer: str  # "word" or "char_wb"

    def __post_init__(self):
        from sklearn.feature_extraction.text import CountVectorizer

        options = (
            {"analyzer": "word", "ngram_range": (1, 2), "token_pattern": WORD_PATTERN}
            if self.analyzer == "word"
            else {"analyzer": "char_wb", "ngram_range": (2, 5)}
        )
        self._counter = CountVectorizer(
            vocabulary={t: i for i, t in enumerate(self.terms)}, dtype=np.float32, **options
        )

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return _tfidf(self._counter.transform(texts), self.idf)

    @classmethod
    def fit(cls, texts: Sequence[str], analyzer: str, max_features: int, min_df: int) -> _Vocabulary:
        from sklearn.feature_extraction.text import TfidfVectorizer

        options = (
            {"ngram_range": (1, 2), "token_pattern": WORD_PATTERN}
            if analyzer == "word"
            else {"ngram_range": (2, 5)}
        )
        vec = TfidfVectorizer(
            analyzer=analyzer,
            sublinear_tf=True,
            min_df=min_df if len(texts) >= 2000 else 1,  # few examples: keep every term
            max_features=max_features,
            dtype=np.float32,
            **options,
        )
        vec.fit(texts)
        terms = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
        return cls(terms, np.asarray(vec.idf_, dtype=np.float32), analyzer)


class Featurizer:
    """Words + character n-grams (TF-IDF) + the standardised sentence embedding, one sparse row per text."""

    def __init__(self, words: _Vocabulary, chars: _Vocabulary, mean, scale, embedding_weight: float):
        self.words, self.chars = words, chars
        self.mean = np.asarray(mean, dtype=np.float32)
        self.scale = np.asarray(scale, dtype=np.float32)
        self.embedding_weight = float(embedding_weight)

    @property
    def width(self) -> int:
        return len(self.words.terms) + len(self.chars.terms) + len(self.mean)

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        embeddings: np.ndarray,
        *,
        max_words: int = 20_000,
        max_chars: int = 40_000,
        embedding_weight: float = 0.05,
    ) -> Featurizer:
        texts = list(texts)
        words = _Vocabulary.fit(texts, "word", max_words, min_df=2)
        chars = _Vocabulary.fit(texts, "char_wb", max_chars, min_df=3)
        emb = np.asarray(embeddings, dtype=np.float32)
        scale = emb.std(axis=0)
        scale[scale == 0] = 1.0
        return cls(words, chars, emb.mean(axis=0), scale, embedding_weight)

    def transform(self, texts: Sequence[str], embeddings: np.ndarray) -> sp.csr_matrix:
        texts = list(texts)
        emb = (np.asarray(embeddings, dtype=np.float32) - self.mean) / self.scale * self.embedding_weight
        return sp.hstack(
            [self.words.transform(texts), self.chars.transform(texts), sp.csr_matrix(emb)], format="csr"
        )

    def arrays(self, prefix: str = "features") -> dict[str, np.ndarray]:
        return {
            f"{prefix}.words": np.array(self.words.terms),
            f"{prefix}.words_idf": self.words.idf,
            f"{prefix}.chars": np.array(self.chars.terms),
            f"{prefix}.chars_idf": self.chars.idf,
            f"{prefix}.mean": self.mean,
            f"{prefix}.scale": self.scale,
            f"{prefix}.embedding_weight": np.float32(self.embedding_weight),
        }

    @classmethod
    def from_arrays(cls, a, prefix: str = "features") -> Featurizer:
        return cls(
            _Vocabulary([str(t) for t in a[f"{prefix}.words"]], a[f"{prefix}.words_idf"], "word"),
            _Vocabulary([str(t) for t in a[f"{prefix}.chars"]], a[f"{prefix}.chars_idf"], "char_wb"),
            a[f"{prefix}.mean"],
            a[f"{prefix}.scale"],
            float(a[f"{prefix}.embedding_weight"]),
        )


class LinearHead:
    """Logistic-regression weights over Featurizer rows: softmax (`multilabel=False`) or one sigmoid per
    label with per-label thresholds (`multilabel=True`)."""

    def __init__(self, classes, coef, intercept, multilabel: bool, thresholds=None):
        self.classes_ = [str(c) for c in classes]
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.multilabel = multilabel
        k = len(self.classes_)
        self.thresholds = np.full(k, 0.5, np.float32) if thresholds is None else np.asarray(thresholds)
        if self.coef.shape[0] != k or self.intercept.shape != (k,) or self.thresholds.shape != (k,):
            raise ModelFileError(f"a head's weights do not match its {k} classes")

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        z = np.asarray(x @ self.coef.T) + self.intercept
        if self.multilabel:
            return 1.0 / (1.0 + np.exp(-z))
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        return z / z.sum(axis=1, keepdims=True)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}.classes": np.array(self.classes_),
            f"{prefix}.coef": self.coef.astype(np.float16),
            f"{prefix}.intercept": self.intercept,
            f"{prefix}.multilabel": np.bool_(self.multilabel),
            f"{prefix}.thresholds": self.thresholds.astype(np.float32),
        }

    @classmethod
    def from_arrays(cls, a, prefix: str) -> LinearHead:
        return cls(
            a[f"{prefix}.classes"],
            a[f"{prefix}.coef"],
            a[f"{prefix}.intercept"],
            bool(a[f"{prefix}.multilabel"]),
            a[f"{prefix}.thresholds"],
        )

    @classmethod
    def from_sklearn(cls, models, classes, multilabel: bool, thresholds=None) -> LinearHead:
        """From one fitted LogisticRegression (softmax) or a list of binary ones (one per label)."""
        if multilabel:
            coef = np.vstack([m.coef_[0] for m in models])
            intercept = np.array([m.intercept_[0] for m in models])
        else:
            (model,) = models
            coef, intercept = model.coef_, model.intercept_
            if len(classes) == 2:  # sklearn keeps one row for two classes: softmax over (-z/2, z/2)
                coef = np.vstack([-coef[0] / 2, coef[0] / 2])
                intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        return cls(classes, coef, intercept, multilabel, thresholds)


@dataclass
class ShippedHeads:
    """What `train_heads.py` wrote: the shared features, the sentiment head and the emotion head."""

    features: Featurizer
    sentiment: LinearHead
    emotion: LinearHead
    meta: dict

    def save(self, path: Path) -> str:
        """Write the .npz (deterministically: fixed entry order, no timestamps); returns its sha256."""
        arrays = {
            **self.features.arrays(),
            **self.sentiment.arrays("sentiment"),
            **self.emotion.arrays("emotion"),
            "meta": np.array(json.dumps(self.meta, sort_keys=True)),
        }
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        data = _normalise_zip(buffer.getvalue())
        path.write_bytes(data)
        return hashlib.sha256(data).hexdigest()

    @classmethod
    def load(cls, path: Path = HEADS_PATH, sha256: str | None = None) -> ShippedHeads:
        from .encoder import read_verified

        data = read_verified(path, sha256 or HEADS_SHA256, "text classifier heads")
        with np.load(io.BytesIO(data), allow_pickle=False) as a:
            return cls(
                Featurizer.from_arrays(a),
                LinearHead.from_arrays(a, "sentiment"),
                LinearHead.from_arrays(a, "emotion"),
                json.loads(str(a["meta"])),
            )

    _default: ShippedHeads | None = None
    _lock = threading.Lock()

    @classmethod
    def default(cls) -> ShippedHeads:
        if cls._default is None:
            with cls._lock:
                if cls._default is None:
                    cls._default = cls.load()
        return cls._default


def _normalise_zip(data: bytes) -> bytes:
    """The same .npz bytes for the same arrays: zip entries get a fixed date and permissions."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist()):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name), compresslevel=9)
    return out.getvalue()


class TrainableHead:
    """The features + logistic regression, fitted on labelled texts (a workspace's intents, its own
    sentiment labels, …). One label per text; `encode` gives the text vectors (pipeline.embed_texts).

    C = 1: the best 3-fold cross-validated macro-F1 of {1, 3, 10} on the airline training split (0.774,
    0.765, 0.760; the test split was not looked at). Small training sets (few-shot) keep every term that
    occurs (min_df 1).
    """

    name = "product (words+chars+MiniLM, LR)"

    def __init__(self, encode: Callable[[list[str]], np.ndarray], C: float = 1.0, seed: int = 0):
        self.encode, self.C, self.seed = encode, C, seed

    def fit(self, texts, labels) -> TrainableHead:
        from sklearn.linear_model import LogisticRegression

        texts = list(texts)
        emb = self.encode(texts)
        self.features_ = Featurizer.fit(texts, emb, max_words=50_000, max_chars=100_000, embedding_weight=0.1)
        model = LogisticRegression(C=self.C, max_iter=3000, random_state=self.seed)
        model.fit(self.features_.transform(texts, emb), list(labels))
        self.head_ = LinearHead.from_sklearn([model], list(model.classes_), multilabel=False)
        self.classes_ = self.head_.classes_
        return self

    def predict_proba(self, texts) -> np.ndarray:
        texts = list(texts)
        return self.head_.proba(self.features_.transform(texts, self.encode(texts)))

    def predict(self, texts) -> list[str]:
        proba = self.predict_proba(texts)
        return [self.classes_[j] for j in proba.argmax(axis=1)]
