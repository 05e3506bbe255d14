"""Field mappings: how a foreign record (a webhook payload, a CSV row, a JSON line) becomes a feedback
item or an event. One format serves webhooks and file imports: a mapping saved for one works for the other.

A mapping is JSON:

    {
      "kind": "feedback",                       # or "event"
      "fields": {                               # target field -> source path, or {"const": value}
        "external_id": "id",
        "channel": {"const": "ticket"},
        "source": {"const": "Zendesk"},
        "occurred_at": "created_at",
        "title": "subject",
        "text": "description",
        "customer.email": "requester.email",    # customer.<field> fills the customer reference
        "customer.name": "requester.name"
      },
      "answers": [                              # feedback only
        {"key": "csat", "type": "csat", "value": "satisfaction_rating.score",
         "map": {"good": 5, "bad": 1}}          # optional: translate source values first
      ],
      "metadata": {"priority": "priority"},     # kept as metadata (feedback) or properties (event)
      "skip_empty": ["text"]                    # optional: records where all of these are empty are skipped
    }

A source path is a column name, or a dotted path into nested JSON with list indices as numbers
("requester.emails.0"). Paths that match nothing give no value (the field is left out), so validation then
says plainly which required field is missing.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from cxloop.customers.schemas import CustomerRef, EventIn, storable

from .models import AnswerType
from .schemas import FeedbackIn

FEEDBACK_FIELDS = {
    "external_id",
    "channel",
    "source",
    "touchpoint",
    "occurred_at",
    "language",
    "title",
    "text",
}
EVENT_FIELDS = {"name", "source", "external_id", "occurred_at"}
CUSTOMER_FIELDS = set(CustomerRef.model_fields)
_MISSING = object()


class MappingError(ValueError):
    """The mapping itself is wrong (not the record)."""


class RecordError(ValueError):
    """A record could not be turned into an item; `errors` are [(location, message)]."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(f"{loc}: {msg}" if loc else msg for loc, msg in errors))
        self.errors = errors


def lookup(record: Any, path: str) -> Any:
    """The value at `path` in `record`, or _MISSING."""
    if isinstance(record, dict) and path in record:
        return record[path]
    current = record
    for part in path.split("."):
        if isinstance(current, dict):
            if part not in current:
                return _MISSING
            current = current[part]
        elif isinstance(current, list) and part.isdigit():
            index = int(part)
            if index >= len(current):
                return _MISSING
            current = current[index]
        else:
            return _MISSING
    return current


def _resolve(record: Any, source: Any) -> Any:
    if isinstance(source, dict):
        if "const" in source:
            return source["const"]
        raise MappingError(f"a source must be a path or {{'const': value}}, got {source!r}")
    if not isinstance(source, str) or not source:
        raise MappingError(f"a source path must be a non-empty string, got {source!r}")
    value = lookup(record, source)
    if value is _MISSING or value is None:
        return _MISSING
    value = storable(value)
    if isinstance(value, str) and value.strip() == "":
        return _MISSING
    return value


def _is_source(source: Any) -> bool:
    return (isinstance(source, str) and bool(source)) or (isinstance(source, dict) and "const" in source)


def validate_mapping(spec: Any) -> dict:
    """Check a mapping's shape; raise MappingError naming the first problem. Returns the spec."""
    if not isinstance(spec, dict):
        raise MappingError("a mapping is a JSON object")
    kind = spec.get("kind", "feedback")
    if kind not in ("feedback", "event"):
        raise MappingError("kind must be 'feedback' or 'event'")
    fields = spec.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise MappingError("fields must be an object of target field -> source path")
    allowed = FEEDBACK_FIELDS if kind == "feedback" else EVENT_FIELDS
    for target, source in fields.items():
        if target.startswith("customer."):
            if target.removeprefix("customer.") not in CUSTOMER_FIELDS:
                raise MappingError(f"unknown customer field {target!r}")
        elif target not in allowed:
            raise MappingError(f"unknown {kind} field {target!r}; known: {', '.join(sorted(allowed))}")
        if not _is_source(source):
            raise MappingError(f"source of {target!r} must be a path or {{'const': value}}")
    answers = spec.get("answers", [])
    if kind == "event" and answers:
        raise MappingError("an event mapping has no answers")
    if not isinstance(answers, list):
        raise MappingError("answers must be a list")
    for i, answer in enumerate(answers):
        if not isinstance(answer, dict) or not {"key", "type", "value"} <= set(answer):
            raise MappingError(f"answers[{i}] needs key, type and value")
        if answer["type"] not in AnswerType.values:
            raise MappingError(
                f"answers[{i}].type {answer['type']!r} is not one of {', '.join(AnswerType.values)}"
            )
        if not _is_source(answer["value"]):
            raise MappingError(f"answers[{i}].value must be a path or {{'const': value}}")
        if "map" in answer and not isinstance(answer["map"], dict):
            raise MappingError(f"answers[{i}].map must be an object")
    metadata = spec.get("metadata", {})
    if not isinstance(metadata, dict):
        raise MappingError("metadata must be an object of name -> source path")
    for name, source in metadata.items():
        if not _is_source(source):
            raise MappingError(f"source of metadata {name!r} must be a path or {{'const': value}}")
    skip_empty = spec.get("skip_empty", [])
    if not isinstance(skip_empty, list):
        raise MappingError("skip_empty must be a list of target fields")
    for target in skip_empty:
        if not isinstance(target, str) or target not in fields:
            raise MappingError(f"skip_empty names {target!r}, which is not one of the mapped fields")
    return spec


def map_record(spec: dict, record: Any) -> FeedbackIn | EventIn | None:
    """Turn one record into a validated FeedbackIn / EventIn, None when skip_empty says to skip it,
    or raise RecordError listing what is wrong and where."""
    kind = spec.get("kind", "feedback")
    data: dict[str, Any] = {}
    customer: dict[str, Any] = {}
    for target, source in spec["fields"].items():
        value = _resolve(record, source)
        if value is _MISSING:
            continue
        if target.startswith("customer."):
            customer[target.removeprefix("customer.")] = (
                value if not isinstance(value, int | float) else str(value)
            )
        else:
            data[target] = str(value) if target in ("external_id", "title", "text", "source") else value
    skip = spec.get("skip_empty") or []
    present = set(data) | {f"customer.{name}" for name in customer}
    if skip and all(target not in present for target in skip):
        return None
    if customer:
        data["customer"] = customer
    extra = {}
    for name, source in (spec.get("metadata") or {}).items():
        value = _resolve(record, source)
        if value is not _MISSING:
            extra[name] = value
    if kind == "feedback":
        data["metadata"] = extra
        answers = []
        for answer in spec.get("answers", []):
            value = _resolve(record, answer["value"])
            if value is _MISSING:
                continue
            mapped = answer.get("map")
            if mapped:
                value = mapped.get(str(value).strip(), mapped.get(str(value).strip().lower(), value))
                if value is None:
                    continue  # mapped to "no answer", e.g. a satisfaction survey that was never offered
            answers.append(
                {
                    "key": answer["key"],
                    "type": answer["type"],
                    "value": value,
                    **({"scale": answer["scale"]} if answer.get("scale") else {}),
                }
            )
        data["answers"] = answers
        model = FeedbackIn
    else:
        data["properties"] = extra
        model = EventIn
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RecordError(
            [(".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()]
        ) from None
