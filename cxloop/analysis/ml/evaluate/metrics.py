"""Accuracy and F1 (per class, macro, micro) for single- and multi-label predictions; threshold tuning."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 0.05 … 0.95


def is_multilabel(labels: Sequence) -> bool:
    """Labels given as tuples (or lists, sets) of labels per text."""
    return bool(labels) and isinstance(labels[0], tuple | list | frozenset | set)


def _as_sets(labels: Sequence) -> list[frozenset]:
    return [frozenset(x) if isinstance(x, tuple | list | set | frozenset) else frozenset([x]) for x in labels]


def accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    """Share of exact matches (the whole label set on multi-label tasks)."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    if not y_true:
        raise ValueError("no examples")
    return sum(t == p for t, p in zip(_as_sets(y_true), _as_sets(y_pred), strict=True)) / len(y_true)


def f1_scores(y_true: Sequence, y_pred: Sequence, classes: Sequence[str]) -> dict[str, Any]:
    """Per-class F1 (0 where a class is neither true nor predicted), their mean (macro) and micro F1.

    Labels are single labels or tuples of labels; a predicted label outside `classes` counts as no class.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    tp, fp, fn = Counter(), Counter(), Counter()
    for true, pred in zip(_as_sets(y_true), _as_sets(y_pred), strict=True):
        for c in true & pred:
            tp[c] += 1
        for c in pred - true:
            fp[c] += 1
        for c in true - pred:
            fn[c] += 1
    per_class = {}
    for c in classes:
        denominator = 2 * tp[c] + fp[c] + fn[c]
        per_class[c] = 2 * tp[c] / denominator if denominator else 0.0
    known = set(classes)
    s_tp, s_fp, s_fn = (sum(v for k, v in counter.items() if k in known) for counter in (tp, fp, fn))
    micro = 2 * s_tp / (2 * s_tp + s_fp + s_fn) if s_tp + s_fp + s_fn else 0.0
    return {"per_class_f1": per_class, "macro_f1": sum(per_class.values()) / len(classes), "micro_f1": micro}


def labels_from_proba(proba: np.ndarray, classes: Sequence[str], threshold: float) -> list[tuple[str, ...]]:
    return [tuple(classes[j] for j in np.flatnonzero(row >= threshold)) for row in proba]


def tune_threshold(proba: np.ndarray, y_true: Sequence, classes: Sequence[str]) -> float:
    """The threshold of THRESHOLD_GRID with the best macro-F1 on (dev) `y_true`; the lowest one on ties."""
    scores = [(f1_scores(y_true, labels_from_proba(proba, classes, t), classes)["macro_f1"], -t) for t in
              THRESHOLD_GRID]  # fmt: skip
    return -max(scores)[1]
