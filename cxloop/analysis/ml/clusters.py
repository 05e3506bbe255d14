"""Emerging themes: group texts that fit no theme into clusters an analyst can read and adopt.

`cluster(vectors, texts)` takes the unit sentence embeddings of the texts (the encoder's 384 dimensions)
and returns the groups of at least `min_size` texts that say about the same thing, each with

- its centroid (the L2-normalised mean of its members) and `cohesion`, the members' mean cosine to it;
- `radius`: how close to the centroid a new text must be to count as one of them: the cosine that 90 % of
  its members reach to the centroid of the others (each left out of the centroid, as a new text is);
- its keywords: class-based TF-IDF over words and two-word phrases (English stop words removed): a term
  scores high when it is frequent in the cluster's texts and rare in the others' (the texts left out of
  every cluster, and the `background` texts given, count as one more class, so words common to the whole
  set score low); at most five, a phrase replacing its own words;
- its representatives: up to five members closest to the centroid (a text repeated word for word once);
- a readable `label`: its top keywords joined ("refund delay · store credit").

How. Agglomerative clustering on cosine distance with average linkage (scikit-learn), cut at THRESHOLD:
two groups merge while the mean distance between their texts is under it. Up to MAX_POINTS texts are
clustered; of more, a seeded sample of MAX_POINTS is, and every other text joins the nearest cluster when
it is within that cluster's radius. The same input gives the same clusters.

The threshold, cosine distance 0.5, was chosen by looking at the clusters of real texts: their text vectors
as the product stores them (all-MiniLM-L6-v2, float16), clustered with min_size 5 at 0.40 to 0.60.
- The 9,178 negative tweets of /work/shared/datasets/airline_tweets (@handles removed before embedding, as a
  workspace's texts all address one company), a seeded sample of 5,000 clustered and the rest assigned
  (about 2 s here). Measured: clusters of 5+ / texts in them / share of each cluster's texts carrying its
  most common annotated reason: 0.40: 150 / 1,378 / 0.65; 0.45: 235 / 2,521 / 0.63; 0.50: 292 / 3,842 /
  0.61; 0.55: 330 / 5,408 / 0.58; 0.60: 276 / 6,750 / 0.51. What we saw: at 0.50 the largest clusters
  are each one complaint (cancelled flights, 175 of 232 annotated so; late flights, 114 of 167; customer
  service, 106 of 124; time on hold; lost luggage) plus one of general "worst airline" rants; at
  0.55 late flights and the rants merge (499 texts) and at 0.60 late and cancelled flights do (925); at
  0.40 and 0.45 the same complaints come split into several clusters each (three about time on hold,
  two about customer service), which would be proposed as duplicates. The reason labels are coarse, so
  purity is a guide, not the measure: the choice is the point where clusters stopped merging topics.
- The demo's texts that fit no theme of the online-retail taxonomy (90 days, 42 texts): the same three
  clusters at every threshold from 0.40 to 0.55 (the chatbot that goes round in circles, parcels that
  arrived without a scratch, social posts about a new buy): templated texts cluster at any of them.

No Django here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

#: Cosine distance at which agglomerative clustering (average linkage) stops merging.
THRESHOLD = 0.5
MIN_SIZE = 5
MAX_POINTS = 5_000
SEED = 20_260_126
MAX_KEYWORDS = 5
REPRESENTATIVES = 5
#: The share of a cluster's members that fall outside its radius.
RADIUS_QUANTILE = 0.1
LABEL_KEYWORDS = 3
LABEL_SEPARATOR = " · "


@dataclass(frozen=True)
class Cluster:
    members: np.ndarray  # indices into the input, ascending
    centroid: np.ndarray  # unit vector (float32)
    keywords: list[str]
    representatives: np.ndarray  # indices of members, closest to the centroid first
    cohesion: float  # mean cosine of the members to the centroid
    radius: float  # how close to the centroid a new text must be to be one of them (`radius_of`)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def label(self) -> str:
        return label_of(self.keywords)


def label_of(keywords: Sequence[str]) -> str:
    """The top two or three keywords, joined: three while the label stays short."""
    top = list(keywords[:LABEL_KEYWORDS])
    while len(top) > 2 and len(LABEL_SEPARATOR.join(top)) > 40:
        top.pop()
    return LABEL_SEPARATOR.join(top)


def unit_rows(vectors) -> tuple[np.ndarray, np.ndarray]:
    """The rows L2-normalised (float32), and which rows were usable (finite, not zero)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError("vectors must be a 2-D array (one row per text)")
    norms = np.linalg.norm(matrix, axis=1) if len(matrix) else np.zeros(0, dtype=np.float32)
    ok = np.isfinite(norms) & (norms > 0)
    out = np.zeros_like(matrix)
    out[ok] = matrix[ok] / norms[ok, None]
    return out, ok


def cluster(
    vectors,
    texts: Sequence[str],
    *,
    min_size: int = MIN_SIZE,
    threshold: float | None = None,
    max_points: int = MAX_POINTS,
    seed: int = SEED,
    background: Sequence[str] = (),
) -> list[Cluster]:
    """The clusters of at least `min_size` texts, the largest first (ties: the one whose first member comes
    first). `vectors`: one embedding per text (normalised here; rows of zeros or NaN join no cluster);
    `threshold`: the cosine distance where merging stops (default THRESHOLD); `background`: more texts of
    the same set that were not given to cluster (e.g. those that fit a theme), for the keywords' contrast."""
    matrix, ok = unit_rows(vectors)
    if len(matrix) != len(texts):
        raise ValueError("one text per vector")
    usable = np.flatnonzero(ok)
    if len(usable) < max(2, min_size):
        return []
    if len(usable) > max_points:
        rng = np.random.default_rng(seed)
        fitted = np.sort(rng.choice(usable, size=max_points, replace=False))
    else:
        fitted = usable
    labels = _agglomerate(matrix[fitted], THRESHOLD if threshold is None else threshold)
    groups: dict[int, list[int]] = {}
    for index, label in zip(fitted.tolist(), labels.tolist(), strict=True):
        groups.setdefault(label, []).append(index)
    candidates = [np.asarray(g) for g in groups.values() if len(g) >= 2]
    if len(fitted) < len(usable) and candidates:
        candidates = _assign_rest(matrix, candidates, np.setdiff1d(usable, fitted))
    kept = [np.sort(g) for g in candidates if len(g) >= min_size]
    kept.sort(key=lambda g: (-len(g), int(g[0])))
    clustered = np.zeros(len(texts), dtype=bool)
    for g in kept:
        clustered[g] = True
    rest = [texts[i] for i in np.flatnonzero(~clustered)]
    keywords = keywords_of([[texts[i] for i in g] for g in kept], [*rest, *background])
    out = []
    for members, words in zip(kept, keywords, strict=True):
        centroid, cosines = _centre(matrix[members])
        out.append(
            Cluster(
                members=members,
                centroid=centroid,
                keywords=words,
                representatives=_representatives(members, cosines, texts),
                cohesion=float(cosines.mean()),
                radius=radius_of(matrix[members]),
            )
        )
    return out


def _agglomerate(matrix: np.ndarray, threshold: float) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=threshold
    )
    return model.fit_predict(matrix)


def _centre(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The unit mean of these unit rows, and each row's cosine to it."""
    mean = matrix.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    centroid = (mean / norm if norm > 0 else mean).astype(np.float32)
    return centroid, matrix @ centroid


def radius_of(matrix: np.ndarray) -> float:
    """How close to the centre of these unit rows (two or more) a new row must be to be one of them: the
    cosine that 1 - RADIUS_QUANTILE of them reach to the centre of the others. Each row is left out of the
    centre it is measured against, as a new text is: a row counted in the centre sits closer to it."""
    total = matrix.sum(axis=0)
    dots = matrix @ total
    others = np.sqrt(np.maximum(float(total @ total) - 2.0 * dots + 1.0, 1e-12))
    return float(np.quantile((dots - 1.0) / others, RADIUS_QUANTILE))


def _assign_rest(matrix: np.ndarray, groups: list[np.ndarray], rest: np.ndarray) -> list[np.ndarray]:
    """Each text left out of the sample joins its nearest cluster if it is within that cluster's radius."""
    centres, radii = [], []
    for g in groups:
        centres.append(_centre(matrix[g])[0])
        radii.append(radius_of(matrix[g]))
    centres_m, radii_a = np.stack(centres), np.asarray(radii, dtype=np.float32)
    joined: list[list[int]] = [[] for _ in groups]
    for start in range(0, len(rest), 4096):
        chunk = rest[start : start + 4096]
        cosines = matrix[chunk] @ centres_m.T
        best = cosines.argmax(axis=1)
        close = cosines[np.arange(len(chunk)), best] >= radii_a[best]
        for index, g in zip(chunk[close].tolist(), best[close].tolist(), strict=True):
            joined[g].append(index)
    return [
        np.concatenate([g, np.asarray(j, dtype=g.dtype)]) if j else g
        for g, j in zip(groups, joined, strict=True)
    ]


def _representatives(members: np.ndarray, cosines: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    order = np.lexsort((members, -cosines))  # the closest first; ties: the earlier text
    chosen, seen = [], set()
    for position in order:
        index = int(members[position])
        key = " ".join(str(texts[index]).lower().split())
        if key in seen:
            continue
        seen.add(key)
        chosen.append(index)
        if len(chosen) == REPRESENTATIVES:
            break
    return np.asarray(chosen, dtype=np.int64)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words of sklearn's English stop list that carry meaning in feedback ("the bill", "no call back").
KEEP_WORDS = _words(
    "bill call empty fire found front full move name never system thick thin without back bottom "
    "detail interest amount top"
)
#: More words that say nothing about a topic: fillers of chat and reviews, and fragments of web text.
EXTRA_STOP_WORDS = _words(
    "amp just really got like did does doing im ive dont didnt doesnt cant wont isnt wasnt youre "
    "thats ok okay oh hi hello thanks thank pls lol yes yeah http https www com far given goes went "
    "gone make made makes making said says told came come comes know want wanted wants thing things "
    "way lot"
)


def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return (ENGLISH_STOP_WORDS - KEEP_WORDS) | EXTRA_STOP_WORDS


_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w+")  # @handles: names of accounts, not topics (a #hashtag's word stays)
_PLACEHOLDER = re.compile(r"\[[a-z]+\]")  # what redaction put in place of personal data: "[phone]"
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”\n\r\t|/]+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def terms(text: str, stop: frozenset[str]) -> list[str]:
    """The words (two letters or more, no stop words) and two-word phrases (two adjacent words of the same
    clause, neither a stop word) of a text, lower-cased. A contraction ("don't") counts as a stop word; a
    possessive ("customer's") as its word."""
    out: list[str] = []
    text = _PLACEHOLDER.sub(" ", _HANDLE.sub(" ", _URL.sub(" ", str(text or ""))))
    for part in _BREAK.split(text):
        words = []
        for word in _WORD.findall(part.lower().replace("’", "'")):
            word = word.removesuffix("'s")
            words.append(None if "'" in word or len(word) < 2 or word in stop else word)
        out.extend(w for w in words if w)
        out.extend(f"{a} {b}" for a, b in pairwise(words) if a and b)
    return out


def keywords_of(
    groups: Sequence[Sequence[str]], rest: Sequence[str] = (), *, limit: int = MAX_KEYWORDS
) -> list[list[str]]:
    """Up to `limit` keywords per group of texts, by class-based TF-IDF. Each text counts a term once; a
    term must be in two of the group's texts (one in a group of one). `rest`: texts of no group, one more
    class for the comparison."""
    from sklearn.feature_extraction.text import CountVectorizer

    if not groups:
        return []
    classes = [list(g) for g in groups] + ([list(rest)] if rest else [])
    stop = stop_words()
    vectorizer = CountVectorizer(analyzer=lambda text: terms(text, stop), binary=True)
    try:
        counts = vectorizer.fit_transform([text for texts in classes for text in texts])
    except ValueError:  # no text has a word that is not a stop word
        return [[] for _ in groups]
    vocabulary = vectorizer.get_feature_names_out()
    bounds = np.cumsum([0] + [len(c) for c in classes])
    per_class = np.vstack([np.asarray(counts[a:b].sum(axis=0)).ravel() for a, b in pairwise(bounds)]).astype(
        np.float64
    )
    totals = per_class.sum(axis=1, keepdims=True)
    tf = per_class / np.maximum(totals, 1.0)
    idf = np.log1p(totals.mean() / np.maximum(per_class.sum(axis=0), 1.0))
    scores = tf * idf
    out = []
    for c, texts in enumerate(groups):
        eligible = np.flatnonzero(per_class[c] >= (2 if len(texts) > 1 else 1))
        order = eligible[np.lexsort((vocabulary[eligible], -scores[c, eligible]))]
        out.append(_pick_terms([str(vocabulary[i]) for i in order], limit))
    return out


def _key(word: str) -> str:
    """A word as the keyword list compares it: a plural as its singular ("hours" as "hour")."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _pick_terms(ranked: list[str], limit: int) -> list[str]:
    """The best terms that say something new: a term whose words (singular or plural) are all in the terms
    chosen before it is skipped, and so is a phrase that shares a word with a phrase chosen before
    ("goes round" after "chatbot goes"); a phrase takes the place of a word of it chosen before ("loyalty
    points" replaces "points")."""
    chosen: list[str] = []
    for term in ranked:
        keys = {_key(w) for w in term.split()}
        covered = {_key(w) for c in chosen for w in c.split()}
        if keys <= covered:
            continue
        if " " in term and any(" " in c and keys & {_key(w) for w in c.split()} for c in chosen):
            continue
        inside = [c for c in chosen if " " not in c and _key(c) in keys]
        if inside:
            at = chosen.index(inside[0])
            chosen = [c for c in chosen if c not in inside]
            chosen.insert(at, term)
        else:
            chosen.append(term)
        if len(chosen) >= limit:
            break
    return chosen
