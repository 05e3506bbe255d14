"""`cxloop eval` (issue #6): the public data sets, metrics, and the baselines the product is measured against.

No Django here. A *model* is any object with
- ``predict(texts) -> list`` of labels (single-label tasks) or of tuples of labels (multi-label tasks);
- optionally ``fit(texts, labels) -> self``: it is then trained on the task's training split (labels are
  tuples on multi-label tasks). An object without ``fit`` is evaluated as shipped (out of the box);
- optionally ``predict_proba(texts) -> ndarray (n, k)`` with ``classes_`` (k labels): when such a model is
  trained on a multi-label task, the harness picks one probability threshold on the dev split and applies it
  to the test split.

The product's own models plug in without editing this package: any module of baselines.PRODUCT_MODULES that
defines ``eval_model(task: str) -> model | None`` supplies the "product" column of that task (the first one
that answers wins); until one does, the column says "not built yet". The TF-IDF and embedding models of
baselines.py follow the same protocol so they can serve as per-workspace heads later.

Modules: datasets.py (loaders), metrics.py, baselines.py (models), tasks.py (splits and columns of each task);
this file runs the tasks and prints the tables; __main__.py is the speed task's child process.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .baselines import (
    PRODUCT_MODULES,
    CachedEncoder,
    EmbeddingLR,
    Majority,
    Skip,
    TfidfLR,
    Vader,
    ZeroShotEmbedding,
    ZeroShotLexical,
    load_encoder,
    product_model,
)
from .datasets import DATASET_FILES, DatasetError, Split, _file, default_datasets_dir
from .metrics import accuracy, f1_scores, is_multilabel, labels_from_proba, tune_threshold
from .tasks import COLUMNS, TASK_GROUPS, TASKS, Context, Task, TaskData, _airline, select

__all__ = [
    "COLUMNS",
    "PRODUCT_MODULES",
    "TASKS",
    "CachedEncoder",
    "DatasetError",
    "EmbeddingLR",
    "Majority",
    "Skip",
    "Split",
    "TfidfLR",
    "Vader",
    "ZeroShotEmbedding",
    "ZeroShotLexical",
    "accuracy",
    "default_datasets_dir",
    "f1_scores",
    "failed_columns",
    "format_report",
    "load_encoder",
    "run_eval",
    "tune_threshold",
]


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB.

    VmHWM where Linux has it: unlike ru_maxrss it starts afresh at exec, so a child process started from a big
    parent reports its own peak, not the parent's size at the fork.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def make_model(key: str, task: str, data: TaskData, ctx: Context, product=product_model):
    """The column's model for one draw of a task; Skip (with the reason) when it cannot run here."""
    if key == "product":
        model = product(task)
        if model is None:
            raise Skip("not built yet")
        return model
    if key == "majority":
        return Majority()
    if key == "vader":
        return Vader()
    if key == "tfidf":
        return TfidfLR()
    if key == "minilm":
        return EmbeddingLR(ctx.encoder())
    if key == "names-tfidf":
        return ZeroShotLexical(
            data.names, corpus=data.train.texts if data.train else (), fallback=data.fallback
        )
    if key == "names-minilm":
        return ZeroShotEmbedding(ctx.encoder(), data.names)
    raise ValueError(f"unknown column {key!r}")


def evaluate_model(model, data: TaskData) -> dict[str, Any]:
    """Fit (when the model can and the task has training data), predict the test split, score it."""
    started = time.perf_counter()
    if data.train is not None and hasattr(model, "fit"):
        model.fit(
            data.train.texts, data.train.labels
        )  # a shipped (predict-only) model keeps its own cut-offs
    fitted = time.perf_counter()
    threshold = None
    multilabel = is_multilabel(data.test.labels)
    trained_here = data.train is not None and hasattr(model, "fit")
    if multilabel and trained_here and data.dev is not None and hasattr(model, "predict_proba"):
        classes = list(model.classes_)
        threshold = tune_threshold(model.predict_proba(data.dev.texts), data.dev.labels, classes)
        predicted = labels_from_proba(model.predict_proba(data.test.texts), classes, threshold)
    else:
        predicted = list(model.predict(data.test.texts))
        if multilabel:
            predicted = [p if isinstance(p, tuple | list | frozenset | set) else (p,) for p in predicted]
    done = time.perf_counter()
    scores = f1_scores(data.test.labels, predicted, data.classes)
    result = {"accuracy": accuracy(data.test.labels, predicted), "macro_f1": scores["macro_f1"]}
    if multilabel:
        result["micro_f1"] = scores["micro_f1"]
    result.update(
        per_class_f1=scores["per_class_f1"],
        threshold=threshold,
        fit_seconds=round(fitted - started, 3),
        predict_seconds=round(done - fitted, 3),
    )
    return result


def _combine(draws: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean over draws (and the standard deviation of each metric when there are several)."""
    if len(draws) == 1:
        return draws[0]
    out: dict[str, Any] = {"draws": len(draws), "sd": {}}
    for key in ("accuracy", "macro_f1", "micro_f1", "fit_seconds", "predict_seconds"):
        if key in draws[0]:
            values = [d[key] for d in draws]
            out[key] = statistics.fmean(values)
            out["sd"][key] = statistics.stdev(values)
    out["per_class_f1"] = {
        c: statistics.fmean(d["per_class_f1"][c] for d in draws) for c in draws[0]["per_class_f1"]
    }
    thresholds = [d["threshold"] for d in draws if d["threshold"] is not None]
    out["threshold"] = statistics.fmean(thresholds) if thresholds else None
    return out


def _skip_status(exc: Skip) -> str:
    return "not built yet" if str(exc) == "not built yet" else "skipped"


def run_task(task: Task, ctx: Context, columns: Sequence[str], product=product_model) -> dict[str, Any]:
    if task.name == "speed":
        return _run_speed(task, ctx, columns)
    draws = task.build(ctx)
    first = draws[0]
    report: dict[str, Any] = {
        "name": task.name,
        "title": task.title,
        "classes": first.classes,
        "multilabel": is_multilabel(first.test.labels),
        "train": len(first.train) if first.train else 0,
        "dev": len(first.dev) if first.dev else 0,
        "test": len(first.test),
        "draws": len(draws),
        "columns": [],
    }
    for key in (k for k in task.columns if k in columns):
        column: dict[str, Any] = {"key": key, "model": COLUMNS[key]}
        try:
            results = []
            for number, data in enumerate(draws, start=1):
                ctx.progress(f"{task.name}: {COLUMNS[key]}" + (f" (draw {number})" if len(draws) > 1 else ""))
                results.append(evaluate_model(make_model(key, task.name, data, ctx, product), data))
            column.update(status="ok", **_combine(results))
        except Skip as exc:
            column.update(status=_skip_status(exc), note=str(exc))
        except Exception as exc:
            column.update(status="failed", note=f"{type(exc).__name__}: {exc}")
        report["columns"].append(column)
    return report


def _run_speed(task: Task, ctx: Context, columns: Sequence[str]) -> dict[str, Any]:
    """Each column fits on speed_fit training tweets and predicts speed test tweets in a fresh process."""
    sizes = [str(ctx.sizes["speed_fit"]), str(ctx.sizes["speed"])]
    report: dict[str, Any] = {"name": task.name, "title": task.title, "columns": []}
    for key in ["none", *(k for k in task.columns if k in columns)]:
        ctx.progress(f"speed: {COLUMNS.get(key, 'no model')}")
        argv = [sys.executable, "-m", "cxloop.analysis.ml.evaluate", "speed", str(ctx.folder), key, *sizes]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
        try:
            column = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            column = {"status": "failed", "note": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
        column.update(key=key, model=COLUMNS.get(key, "no model"))
        if key == "none":
            report["baseline_rss_mb"] = column.get("peak_rss_mb")
        else:
            report["columns"].append(column)
    return report


def speed_child(folder: Path, key: str, n_fit: int, n_predict: int) -> dict[str, Any]:
    """One speed column in its own process, so that its peak memory is its own.

    Fits on the first `n_fit` tweets of the training split, then times predict on `n_predict` other tweets.
    """
    ctx = Context(folder)
    data, train, _ = _airline(ctx)
    fit_indices = set(train[:n_fit].tolist())
    fit_split = Split([data["text"][i] for i in fit_indices], [data["sentiment"][i] for i in fit_indices])
    texts = [t for i, t in enumerate(data["text"]) if i not in fit_indices][:n_predict]
    if key == "none":
        return {"status": "ok", "peak_rss_mb": round(peak_rss_mb(), 1)}
    try:
        model = make_model(key, "speed", TaskData(["negative", "neutral", "positive"], fit_split), ctx)
    except Skip as exc:
        return {"status": _skip_status(exc), "note": str(exc)}
    if isinstance(model, EmbeddingLR):  # time the real encoder, not the run's cache
        model.encoder = model.encoder.encoder
    if hasattr(model, "fit"):
        model.fit(fit_split.texts, fit_split.labels)
    model.predict(texts[:64])  # warm-up
    started = time.perf_counter()
    model.predict(texts)
    seconds = time.perf_counter() - started
    return {
        "status": "ok",
        "texts": len(texts),
        "texts_per_second": round(len(texts) / seconds, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def check_datasets(folder: Path, tasks: Sequence[str]) -> None:
    """DatasetError naming the first missing folder or file the selected tasks need."""
    if not folder.is_dir():
        raise DatasetError(
            f"the data sets folder {folder} does not exist: pass --datasets DIR "
            "(the folder holding airline_tweets/, banking77/ and goemotions/)"
        )
    for dataset in dict.fromkeys(TASKS[t].dataset for t in tasks):
        for name in DATASET_FILES[dataset]:
            _file(folder / dataset, name)


def run_eval(
    folder: Path,
    tasks: str | Sequence[str] | None = None,
    *,
    columns: str | Sequence[str] | None = None,
    quick: bool = False,
    product=product_model,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Run the tasks and return the report (what `cxloop eval --json` prints)."""
    import sklearn

    task_names = select(tasks, list(TASKS), TASK_GROUPS, "task")
    column_keys = select(columns, list(COLUMNS), {}, "model")
    folder = Path(folder)
    check_datasets(folder, task_names)
    ctx = Context(folder, quick=quick, progress=progress)
    started = time.perf_counter()
    report = {
        "datasets": str(folder),
        "quick": quick,
        "versions": {"numpy": np.__version__, "scikit-learn": sklearn.__version__},
        "tasks": [run_task(TASKS[name], ctx, column_keys, product) for name in task_names],
    }
    report["encoder"] = ctx.encoder_version()
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return report


def failed_columns(report: dict[str, Any]) -> list[str]:
    return [
        f"{t['name']}: {c['model']}" for t in report["tasks"] for c in t["columns"] if c["status"] == "failed"
    ]


# --- the printed table -------------------------------------------------------------------------------------
def _cell(column: dict[str, Any], key: str, per_class: str | None = None) -> str:
    if column["status"] != "ok":
        return ""
    value = column["per_class_f1"].get(per_class) if per_class else column.get(key)
    if value is None:
        return "—"
    sd = None if per_class else column.get("sd", {}).get(key)
    return f"{value:.3f}" + (f" ± {sd:.3f}" if sd is not None else "")


def _row(label: str, columns: list[dict[str, Any]], key: str, fmt: str) -> tuple[str, list[str]]:
    return label, [format(c[key], fmt) if c.get(key) is not None else "" for c in columns]


def format_task(task: dict[str, Any], max_classes: int = 30) -> str:
    """One task as a table: a column per model, a row per metric (and per class when there are few)."""
    columns = task["columns"]
    if task["name"] == "speed":
        rows = [
            _row("texts/s", columns, "texts_per_second", ",.0f"),
            _row("peak MB", columns, "peak_rss_mb", ",.0f"),
        ]
    else:
        rows = [
            (
                "exact-set accuracy" if task["multilabel"] else "accuracy",
                [_cell(c, "accuracy") for c in columns],
            )
        ]
        rows.append(("macro-F1", [_cell(c, "macro_f1") for c in columns]))
        if task["multilabel"]:
            rows.append(("micro-F1", [_cell(c, "micro_f1") for c in columns]))
        if any(c.get("threshold") is not None for c in columns):
            rows.append(_row("dev threshold", columns, "threshold", ".2f"))
        if len(task["classes"]) <= max_classes:
            rows += [(f"F1 {name}", [_cell(c, "", name) for c in columns]) for name in task["classes"]]
    rows.insert(0, ("", [c["model"] for c in columns]))
    for i, c in enumerate(columns):  # a column that did not run says so in its first row
        if c["status"] != "ok":
            rows[1][1][i] = c["status"]
    label_width = max(len(r[0]) for r in rows)
    widths = [max(len(r[1][i]) for r in rows) for i in range(len(columns))]
    sizes = ", ".join(f"{task[k]:,} {k}" for k in ("train", "dev", "test") if task.get(k))
    if task.get("draws", 1) > 1:
        sizes += f", {task['draws']} draws"
    lines = [f"{task['name']}: {task['title']}" + (f" ({sizes})" if sizes else "")]
    for label, cells in rows:
        lines.append(
            "  "
            + label.ljust(label_width)
            + "".join(f"  {s:>{w}}" for s, w in zip(cells, widths, strict=True))
        )
    if task["name"] != "speed" and len(task["classes"]) > max_classes:
        lines.append(f"  (the F1 of each of the {len(task['classes'])} classes is in --json)")
    if task.get("baseline_rss_mb"):
        lines.append(
            f"  peak MB: of a fresh process that ran it; one with the data and no model: "
            f"{task['baseline_rss_mb']:,.0f} MB"
        )
    notes = [
        f"  {c['model']}: {c['note']}" for c in columns if c.get("note") and c["note"] != "not built yet"
    ]
    return "\n".join(lines + notes)


def format_report(report: dict[str, Any]) -> str:
    quick = " (--quick: subsampled, figures are not comparable)" if report["quick"] else ""
    head = f"cxloop eval: data sets in {report['datasets']}{quick}"
    if report.get("encoder"):
        head += f"\nsentence encoder of the MiniLM columns: {report['encoder']}"
    tail = f"{report['seconds']:,.0f} s; this process peaked at {report['peak_rss_mb']:,.0f} MB of memory."
    return "\n\n".join([head, *(format_task(t) for t in report["tasks"]), tail])
