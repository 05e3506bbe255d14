"""Typed input for feedback items and answers, shared by the API, webhooks and file imports.

Every check names what is wrong and where; the API returns them as 422 problem details with the field path.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr, field_validator, model_validator

from cxloop.customers.schemas import CustomerRef, StorableInput, check_flat_json, check_timestamp

from .models import AnswerType, Channel

MAX_TEXT = 100_000  # characters of free text per item or answer
MAX_ANSWERS = 200
KEY_PATTERN = r"^[A-Za-z0-9_.\-]{1,100}$"

# Default scale per score type; a rating may declare its own (3 to 10 points).
DEFAULT_SCALES = {
    AnswerType.NPS: (0, 10),
    AnswerType.CSAT: (1, 5),
    AnswerType.CES: (1, 7),
    AnswerType.RATING: (1, 5),
}
ALLOWED_SCALES = {
    AnswerType.NPS: {(0, 10)},
    AnswerType.CSAT: {(1, 5), (1, 7), (1, 10), (0, 10)},
    AnswerType.CES: {(1, 5), (1, 7)},
}


class AnswerIn(BaseModel):
    key: str = Field(..., pattern=KEY_PATTERN, description="Question key, e.g. nps, csat_delivery")
    type: AnswerType
    value: Any = Field(None, description="Score/number, text, choice(s), true/false or ISO date, by type")
    scale: tuple[int, int] | None = Field(None, description="[min, max] of a score; defaults by type")
    text: str | None = Field(None, max_length=MAX_TEXT, description="A comment attached to a score")
    _normalized: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check_value(self):
        self._normalized = normalize_answer(self.type, self.value, self.scale, self.text)
        return self

    @property
    def normalized(self) -> dict[str, Any]:
        return self._normalized


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what} needs a number, got {value!r}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError(f"{what} needs a number, got {value!r}") from None
    if not isinstance(value, int | float):
        raise ValueError(f"{what} needs a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        raise ValueError(f"{what} needs a number, got one too large") from None
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"{what} needs a number, got {value!r}")
    return number


def normalize_answer(
    kind: str, value: Any, scale: tuple[int, int] | None, text: str | None
) -> dict[str, Any]:
    """Check one answer against its type and scale; return the column values to store."""
    out: dict[str, Any] = {
        "value": None,
        "text": text or "",
        "choices": None,
        "scale_min": None,
        "scale_max": None,
    }
    if kind in DEFAULT_SCALES:
        lo, hi = scale or DEFAULT_SCALES[kind]
        if kind in ALLOWED_SCALES and (lo, hi) not in ALLOWED_SCALES[kind]:
            allowed = ", ".join(f"{a}–{b}" for a, b in sorted(ALLOWED_SCALES[kind]))
            raise ValueError(f"{kind} scale {lo}–{hi} is not supported; use {allowed}")
        if kind == AnswerType.RATING and not (lo in (0, 1) and 3 <= hi - lo + 1 <= 11):
            raise ValueError(f"rating scale {lo}–{hi} must start at 0 or 1 and have 3 to 11 points")
        number = _number(value, f"{kind} value")
        if number != int(number):
            raise ValueError(f"{kind} value {value!r} must be a whole number")
        if not lo <= number <= hi:
            raise ValueError(f"{kind} value {int(number)} is outside its scale {lo}–{hi}")
        out.update(value=number, scale_min=lo, scale_max=hi)
    elif kind == AnswerType.NUMBER:
        out["value"] = _number(value, "number value")
    elif kind == AnswerType.TEXT:
        if not isinstance(value, str):
            raise ValueError(f"text value must be a string, got {type(value).__name__}")
        if len(value) > MAX_TEXT:
            raise ValueError(f"text value has {len(value):,} characters; the limit is {MAX_TEXT:,}")
        out["text"] = value
    elif kind == AnswerType.CHOICE:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("choice value must be a non-empty string")
        out["choices"] = [value.strip()[:200]]
    elif kind == AnswerType.MULTI_CHOICE:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError("multi_choice value must be a list of non-empty strings")
        if len(value) > 100:
            raise ValueError("multi_choice value has more than 100 choices")
        out["choices"] = [v.strip()[:200] for v in value]
    elif kind == AnswerType.YES_NO:
        truthy = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}
        if isinstance(value, bool):
            flag = value
        elif isinstance(value, str) and value.strip().lower() in truthy:
            flag = truthy[value.strip().lower()]
        elif value in (0, 1) and not isinstance(value, bool):
            flag = bool(value)
        else:
            raise ValueError(f"yes_no value must be true/false or yes/no, got {value!r}")
        out["value"] = 1.0 if flag else 0.0
    elif kind == AnswerType.DATE:
        if not isinstance(value, str):
            raise ValueError("date value must be an ISO date string like 2026-01-31")
        try:
            parsed = date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise ValueError(f"date value {value!r} is not an ISO date like 2026-01-31") from None
        out["text"] = parsed.isoformat()
    return out


class FeedbackIn(StorableInput):
    external_id: str | None = Field(None, max_length=200, description="Your id; with source, unique")
    channel: Channel
    source: str = Field("", max_length=100)
    touchpoint: str = Field("", max_length=100)
    customer: CustomerRef | None = None
    occurred_at: datetime
    language: str = Field("", max_length=16)
    title: str = Field("", max_length=300)
    text: str = Field("", description=f"Free text, up to {MAX_TEXT:,} characters")
    metadata: dict[str, Any] = Field(default_factory=dict)
    answers: list[AnswerIn] = Field(default_factory=list, max_length=MAX_ANSWERS)

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        if len(v) > MAX_TEXT:
            raise ValueError(f"text has {len(v):,} characters; the limit is {MAX_TEXT:,}")
        return v

    @field_validator("external_id")
    @classmethod
    def _ext(cls, v):
        return v.strip() or None if v else None

    @field_validator("language")
    @classmethod
    def _lang(cls, v: str) -> str:
        if v and not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?", v):
            raise ValueError(f"language {v!r} is not a language code like en or pt-BR")
        return v

    @field_validator("occurred_at")
    @classmethod
    def _occurred(cls, v):
        return check_timestamp(v, "occurred_at")

    @field_validator("metadata")
    @classmethod
    def _meta(cls, v):
        return check_flat_json(v, "metadata")

    @model_validator(mode="after")
    def _unique_keys(self):
        keys = [a.key for a in self.answers]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"answer keys must be unique within an item; repeated: {', '.join(dupes)}")
        return self


class FeedbackBatchIn(BaseModel):
    items: list[FeedbackIn] = Field(..., min_length=1, max_length=1000)
