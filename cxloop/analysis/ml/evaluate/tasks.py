"""The tasks of `cxloop eval`: which data, which split, which columns. No Django."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .baselines import (
    SEED,
    CachedEncoder,
    EmbeddingLR,
    Skip,
    TfidfLR,
    ZeroShotEmbedding,
    ZeroShotLexical,
    load_encoder,
)
from .datasets import Split, load_airline, load_banking77, load_goemotions

QUICK = {"train": 1000, "dev": 300, "test": 300, "draws": 2, "speed_fit": 300, "speed": 300}
FULL = {"draws": 5, "speed_fit": 2000, "speed": 5000}
# Readable theme names for the zero-shot baselines: the data set's "longlines" is a label id, not a name.
AIRLINE_REASON_NAMES = {"longlines": "Long lines"}
AIRLINE_REASON_NONE = "Can't Tell"  # the data set's "none of these": lexical zero-shot falls back to it
COLUMNS = {  # key: the column's title
    "product": "product",
    "majority": "majority",
    "vader": "VADER",
    "tfidf": TfidfLR.name,
    "minilm": EmbeddingLR.name,
    "names-tfidf": ZeroShotLexical.name,
    "names-minilm": ZeroShotEmbedding.name,
}


@dataclass
class TaskData:
    classes: list[str]
    test: Split
    train: Split | None = None
    dev: Split | None = None
    names: dict[str, str] | None = None  # label -> name, for the zero-shot columns
    fallback: str | None = None


@dataclass(frozen=True)
class Task:
    name: str
    title: str
    dataset: str
    columns: tuple[str, ...]
    build: Callable[[Context], list[TaskData]]  # one TaskData per draw


class Context:
    """What the tasks of one run share: the data sets (loaded once), the split, the cached encoder."""

    def __init__(self, folder: Path, quick: bool = False, progress: Callable[[str], None] = lambda _: None):
        self.folder, self.quick, self.progress = folder, quick, progress
        self.sizes = QUICK if quick else FULL
        self._cache: dict[str, Any] = {}

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def encoder(self) -> CachedEncoder:
        def make():
            try:
                return CachedEncoder(load_encoder())
            except Skip as exc:
                return exc

        result = self.once("encoder", make)
        if isinstance(result, Skip):
            raise result
        return result

    def encoder_version(self) -> str | None:
        """What produced the embeddings of this run (None when no column used the encoder)."""
        loaded = self._cache.get("encoder")
        if not isinstance(loaded, CachedEncoder):
            return None
        encoder = loaded.encoder
        version = getattr(encoder, "version", type(encoder).__name__)
        fallback = getattr(encoder, "fallback_reason", "")
        return f"{version} ({fallback})" if fallback else version

    def sample(self, split: Split | None, kind: str, seed: int = SEED) -> Split | None:
        """In --quick runs, a seeded random subset of at most QUICK[kind] examples (in their order)."""
        limit = self.sizes.get(kind)
        if split is None or limit is None or len(split) <= limit:
            return split
        return split.take(np.sort(np.random.default_rng(seed).choice(len(split), limit, replace=False)))


def _airline(ctx: Context):
    """The tweets and the stratified 80/20 split (seed 0) that every airline task shares."""

    def make():
        from sklearn.model_selection import train_test_split

        data = load_airline(ctx.folder / "airline_tweets")
        indices = np.arange(len(data["text"]))
        train, test = train_test_split(indices, test_size=0.2, random_state=SEED, stratify=data["sentiment"])
        return data, np.sort(train), np.sort(test)

    return ctx.once("airline", make)


def _airline_split(ctx: Context, indices, label: str, keep=lambda i: True) -> Split:
    data = _airline(ctx)[0]
    return Split([data["text"][i] for i in indices if keep(i)], [data[label][i] for i in indices if keep(i)])


def build_airline_oob(ctx: Context) -> list[TaskData]:
    _, _, test = _airline(ctx)
    test_split = ctx.sample(_airline_split(ctx, test, "sentiment"), "test")
    return [TaskData(["negative", "neutral", "positive"], test_split)]


def build_airline_trained(ctx: Context) -> list[TaskData]:
    _, train, test = _airline(ctx)
    return [
        TaskData(
            ["negative", "neutral", "positive"],
            train=ctx.sample(_airline_split(ctx, train, "sentiment"), "train"),
            test=ctx.sample(_airline_split(ctx, test, "sentiment"), "test"),
        )
    ]


def build_airline_reasons(ctx: Context) -> list[TaskData]:
    data, train, test = _airline(ctx)

    def negative(i):
        return bool(data["reason"][i])

    train_split = ctx.sample(_airline_split(ctx, train, "reason", negative), "train")
    classes = sorted({r for r in data["reason"] if r})
    names = {r: AIRLINE_REASON_NAMES.get(r, r) for r in classes}
    return [
        TaskData(
            classes,
            train=train_split,
            test=ctx.sample(_airline_split(ctx, test, "reason", negative), "test"),
            names=names,
            fallback=AIRLINE_REASON_NONE,
        )
    ]


def _banking77(ctx: Context):
    return ctx.once("banking77", lambda: load_banking77(ctx.folder / "banking77"))


def build_banking77(ctx: Context) -> list[TaskData]:
    train, test, classes = _banking77(ctx)
    return [TaskData(classes, train=ctx.sample(train, "train"), test=ctx.sample(test, "test"))]


def build_banking77_few_shot(ctx: Context, per_class: int = 10) -> list[TaskData]:
    """`per_class` training examples of each intent, drawn with seeds 0, 1, … (one TaskData per draw)."""
    train, test, classes = _banking77(ctx)
    by_class: dict[str, list[int]] = {}
    for i, label in enumerate(train.labels):
        by_class.setdefault(label, []).append(i)
    draws = []
    for seed in range(ctx.sizes["draws"]):
        rng = np.random.default_rng(seed)
        chosen = sorted(int(i) for c in classes for i in rng.choice(by_class[c], per_class, replace=False))
        draws.append(TaskData(classes, train=train.take(chosen), test=ctx.sample(test, "test")))
    return draws


def _goemotions(ctx: Context):
    return ctx.once("goemotions", lambda: load_goemotions(ctx.folder / "goemotions"))


def build_goemotions(ctx: Context) -> list[TaskData]:
    splits, emotions, _ = _goemotions(ctx)
    train, dev, test = (ctx.sample(splits[s], s) for s in ("train", "dev", "test"))
    return [TaskData(emotions, train=train, dev=dev, test=test)]


def build_goemotions_sentiment(ctx: Context) -> list[TaskData]:
    (data,) = build_goemotions(ctx)
    _, _, group_of = _goemotions(ctx)

    def grouped(split: Split) -> Split:
        return Split(split.texts, [tuple(sorted({group_of[e] for e in labels})) for labels in split.labels])

    classes = ["positive", "negative", "ambiguous", "neutral"]
    return [TaskData(classes, train=grouped(data.train), dev=grouped(data.dev), test=grouped(data.test))]


TRAINED = ("product", "majority", "tfidf", "minilm")
_TASKS = (
    Task(
        "airline-sentiment-oob",
        "Airline tweets: sentiment out of the box (the 20% test split)",
        "airline_tweets",
        ("product", "vader"),
        build_airline_oob,
    ),
    Task(
        "airline-sentiment",
        "Airline tweets: sentiment trained on the stratified 80% (seed 0), tested on the 20%",
        "airline_tweets",
        TRAINED,
        build_airline_trained,
    ),
    Task(
        "airline-reasons",
        "Airline tweets: the 10 negative reasons as themes, zero-shot from their names vs trained",
        "airline_tweets",
        ("product", "majority", "names-tfidf", "names-minilm", "tfidf", "minilm"),
        build_airline_reasons,
    ),
    Task(
        "banking77-full",
        "BANKING77: 77 intents, trained on the full train split",
        "banking77",
        TRAINED,
        build_banking77,
    ),
    Task(
        "banking77-10shot",
        "BANKING77: 10 examples per intent (mean ± sd of the draws)",
        "banking77",
        TRAINED,
        build_banking77_few_shot,
    ),
    Task(
        "goemotions-28",
        "GoEmotions test: 28 labels, multi-label (threshold tuned on dev)",
        "goemotions",
        TRAINED,
        build_goemotions,
    ),
    Task(
        "goemotions-sentiment",
        "GoEmotions test: the sentiment grouping, multi-label (threshold tuned on dev)",
        "goemotions",
        ("product", "majority", "vader", "tfidf", "minilm"),
        build_goemotions_sentiment,
    ),
    Task(
        "speed",
        "Throughput and peak memory on airline tweets, each column in a fresh process",
        "airline_tweets",
        ("product", "vader", "tfidf", "minilm"),
        lambda ctx: [],
    ),
)
TASKS = {t.name: t for t in _TASKS}
TASK_GROUPS = {
    group: [n for n in TASKS if n.startswith(group)] for group in ("airline", "banking77", "goemotions")
}


def select(names: str | Sequence[str] | None, known: Sequence[str], groups: dict[str, list[str]], what: str):
    """Comma-separated names (or group names) → the known names, in their order; ValueError if unknown."""
    if names is None:
        return list(known)
    wanted = [n.strip() for n in (names.split(",") if isinstance(names, str) else names) if n.strip()]
    unknown = [n for n in wanted if n not in known and n not in groups]
    if unknown or not wanted:
        extra = [g for g in groups if g not in known]
        choices = ", ".join(known) + (f" (or a group: {', '.join(extra)})" if extra else "")
        raise ValueError(f"unknown {what} {', '.join(unknown) or '(none given)'}; choose from: {choices}")
    expanded = {m for n in wanted for m in groups.get(n, [n])}
    return [n for n in known if n in expanded]
