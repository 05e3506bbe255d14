"""The column-by-column mapping form of the import page: guess a mapping from a file's column names, and build
a mapping (the JSON format of mapping.py) from the form's answers. No Django here: plain data in and out."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .mapping import MappingError, validate_mapping
from .models import AnswerType, Channel


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    hints: tuple[str, ...]  # column names that usually hold it, lower-case, without spaces or punctuation


TARGETS = [
    Target(
        "external_id",
        "Id of the row in its source (makes re-imports safe)",
        ("id", "reviewid", "ticketid", "externalid", "responseid"),
    ),
    Target(
        "occurred_at",
        "When it happened (date or date-time)",
        ("date", "createdat", "created", "submittedat", "timestamp", "time", "occurredat"),
    ),
    Target("title", "Title or subject", ("title", "subject", "headline")),
    Target(
        "text",
        "Text of the feedback",
        ("text", "comment", "review", "description", "body", "message", "feedback", "content"),
    ),
    Target("touchpoint", "Touchpoint / journey stage", ("touchpoint", "stage", "journeystage")),
    Target("language", "Language code", ("language", "lang", "locale")),
    Target("customer.email", "Customer email", ("email", "requesteremail", "customeremail", "emailaddress")),
    Target("customer.name", "Customer name", ("name", "author", "requestername", "customername", "username")),
    Target(
        "customer.external_id",
        "Customer id in your CRM or shop",
        ("customerid", "requesterid", "userid", "crmid", "clientid"),
    ),
    Target("customer.phone", "Customer phone", ("phone", "phonenumber", "mobile")),
]
SCORE_HINTS = {
    "nps": "nps",
    "npsscore": "nps",
    "csat": "csat",
    "satisfaction": "csat",
    "ces": "ces",
    "effort": "ces",
    "rating": "rating",
    "stars": "rating",
    "score": "rating",
}
ANSWER_ROWS = 3


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def guess(columns: list[str]) -> dict[str, str]:
    """Form values guessed from column names: target -> column, and up to ANSWER_ROWS score answers."""
    by_norm = {_norm(c): c for c in columns}
    values: dict[str, str] = {}
    for target in TARGETS:
        for hint in target.hints:
            if hint in by_norm and by_norm[hint] not in values.values():
                values[f"col__{target.name}"] = by_norm[hint]
                break
    row = 0
    for norm, column in by_norm.items():
        if norm in SCORE_HINTS and row < ANSWER_ROWS:
            kind = SCORE_HINTS[norm]
            values.update(
                {
                    f"ans{row}_col": column,
                    f"ans{row}_key": norm,
                    f"ans{row}_type": kind,
                    f"ans{row}_scale": "1-5" if kind == "rating" else "",
                }
            )
            row += 1
    return values


def _scale(text: str, where: str) -> list[int] | None:
    text = (text or "").strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", text)
    if not match:
        raise MappingError(f"{where}: write the scale as min-max, e.g. 1-5")
    return [int(match.group(1)), int(match.group(2))]


def build(values, columns: list[str]) -> dict:
    """A mapping from the form's values (a dict-like of strings). Raises MappingError naming the field."""
    fields: dict[str, object] = {}
    for target in TARGETS:
        column = (values.get(f"col__{target.name}") or "").strip()
        if column:
            if column not in columns:
                raise MappingError(f"{target.label}: the file has no column {column!r}")
            fields[target.name] = column
    channel = (values.get("const__channel") or "").strip()
    if channel not in Channel.values:
        raise MappingError(f"Channel: choose one of {', '.join(Channel.values)}")
    fields["channel"] = {"const": channel}
    source = (values.get("const__source") or "").strip()
    if source:
        fields["source"] = {"const": source[:100]}
    if "occurred_at" not in fields:
        raise MappingError("Choose the column that says when each row happened")
    answers = []
    for row in range(ANSWER_ROWS):
        column = (values.get(f"ans{row}_col") or "").strip()
        if not column:
            continue
        where = f"Score {row + 1}"
        if column not in columns:
            raise MappingError(f"{where}: the file has no column {column!r}")
        key = _norm(values.get(f"ans{row}_key") or column) or f"score{row + 1}"
        kind = (values.get(f"ans{row}_type") or "").strip()
        if kind not in AnswerType.values:
            raise MappingError(f"{where}: choose a question type")
        answer = {"key": key, "type": kind, "value": column}
        scale = _scale(values.get(f"ans{row}_scale", ""), where)
        if scale:
            answer["scale"] = scale
        answers.append(answer)
    mapping = {"kind": "feedback", "fields": fields, "answers": answers}
    return validate_mapping(mapping)


def to_form(mapping: dict) -> dict[str, str]:
    """The form's values for a mapping made by `build` (or anything close), so a page shows what was used."""
    values: dict[str, str] = {}
    for target, source in (mapping.get("fields") or {}).items():
        if isinstance(source, dict) and "const" in source and target in ("channel", "source"):
            values[f"const__{target}"] = str(source["const"])
        elif isinstance(source, str):
            values[f"col__{target}"] = source
    for row, answer in enumerate((mapping.get("answers") or [])[:ANSWER_ROWS]):
        scale = answer.get("scale")
        values.update(
            {
                f"ans{row}_col": str(answer.get("value", "")),
                f"ans{row}_key": str(answer.get("key", "")),
                f"ans{row}_type": str(answer.get("type", "")),
                f"ans{row}_scale": f"{scale[0]}-{scale[1]}" if scale else "",
            }
        )
    return values
