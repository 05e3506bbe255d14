"""The public data sets `cxloop eval` reads (paths and formats per each folder's SOURCE.md). No Django."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

DATASET_FILES = {
    "airline_tweets": ("Tweets.csv",),
    "banking77": ("train.csv", "test.csv", "categories.json"),
    "goemotions": ("train.tsv", "dev.tsv", "test.tsv", "emotions.txt", "sentiment_dict.json"),
}


class DatasetError(Exception):
    """A data set folder or file is missing or not in the documented format."""


@dataclass(frozen=True)
class Split:
    texts: list[str]
    labels: list  # str per text, or a tuple of str per text on multi-label tasks

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, indices) -> Split:
        return Split([self.texts[i] for i in indices], [self.labels[i] for i in indices])


def default_datasets_dir() -> Path:
    """The `shared/datasets` folder next to the repository."""
    return Path(__file__).resolve().parents[4].parent / "shared" / "datasets"


def _file(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise DatasetError(f"{path} is missing (see {folder / 'SOURCE.md'} for where it comes from)")
    return path


def _csv_rows(path: Path, required: set[str]) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = required - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(f"{path}: the header lacks the column(s) {', '.join(sorted(missing))}")
        return list(reader)


def load_airline(folder: Path) -> dict[str, list[str]]:
    """Twitter US airline sentiment: lists ``{"text", "sentiment", "reason"}`` (reason "" unless negative)."""
    rows = _csv_rows(_file(folder, "Tweets.csv"), {"text", "airline_sentiment", "negativereason"})
    out: dict[str, list[str]] = {"text": [], "sentiment": [], "reason": []}
    for number, row in enumerate(rows, start=2):
        if row["airline_sentiment"] not in ("negative", "neutral", "positive"):
            raise DatasetError(f"Tweets.csv row {number}: unknown sentiment {row['airline_sentiment']!r}")
        out["text"].append(row["text"])
        out["sentiment"].append(row["airline_sentiment"])
        out["reason"].append(row["negativereason"])
    return out


def load_banking77(folder: Path) -> tuple[Split, Split, list[str]]:
    """BANKING77: (train, test, the 77 intent names in categories.json order)."""
    try:
        classes = json.loads(_file(folder, "categories.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{folder / 'categories.json'}: not JSON ({exc})") from exc
    splits = []
    for name in ("train.csv", "test.csv"):
        rows = _csv_rows(_file(folder, name), {"text", "category"})
        unknown = {r["category"] for r in rows} - set(classes)
        if unknown:
            raise DatasetError(f"{name}: categories not in categories.json: {', '.join(sorted(unknown))}")
        splits.append(Split([r["text"] for r in rows], [r["category"] for r in rows]))
    return splits[0], splits[1], classes


def load_goemotions(folder: Path) -> tuple[dict[str, Split], list[str], dict[str, str]]:
    """GoEmotions: ({"train", "dev", "test"} with tuples of emotions, the 28 emotions, emotion -> group).

    The .tsv files have no header: text, comma-separated label ids, comment id (CSV-style quoting, as pandas
    reads them upstream). `neutral` is its own sentiment group, as in the paper.
    """
    emotions = _file(folder, "emotions.txt").read_text(encoding="utf-8").split()
    groups = json.loads(_file(folder, "sentiment_dict.json").read_text(encoding="utf-8"))
    group_of = {emotion: group for group, members in groups.items() for emotion in members}
    group_of.setdefault("neutral", "neutral")
    if set(group_of) != set(emotions):
        raise DatasetError("sentiment_dict.json does not cover exactly the emotions of emotions.txt")
    splits = {}
    for split in ("train", "dev", "test"):
        texts, labels = [], []
        with open(_file(folder, f"{split}.tsv"), newline="", encoding="utf-8") as fh:
            for number, row in enumerate(csv.reader(fh, delimiter="\t"), start=1):
                try:
                    ids = tuple(emotions[int(i)] for i in row[1].split(","))
                except (IndexError, ValueError):
                    raise DatasetError(f"{split}.tsv line {number}: expected text, label ids, id") from None
                texts.append(row[0])
                labels.append(ids)
        splits[split] = Split(texts, labels)
    return splits, emotions, group_of
