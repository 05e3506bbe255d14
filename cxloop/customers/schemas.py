"""Typed input for customers and events, shared by the API, webhooks and file imports."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, get_args

from pydantic import BaseModel, Field, field_validator, model_validator

# Clock skew allowed for timestamps that claim to be from the future.
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
MAX_JSON_KEYS = 100

_PHONE_STRIP = re.compile(r"[\s().\-/]")
# Characters no database column can hold: NUL (PostgreSQL refuses it in text and JSON) and lone UTF-16
# surrogates ("\ud800" in JSON, not encodable as UTF-8). Foreign exports and API clients do send them.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def storable(value: Any) -> Any:
    """The value with NUL removed and lone surrogates replaced (U+FFFD) in its strings, keys included, at
    any depth. Every input schema applies it before validation."""
    if isinstance(value, str):
        if value.isascii():  # the common case: no surrogate possible, and NUL is rare
            return value.replace("\x00", "") if "\x00" in value else value
        return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


def _holds_storable(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, StorableInput):
        return True
    return any(_holds_storable(arg) for arg in get_args(annotation))


class StorableInput(BaseModel):
    """Base of the input schemas: strips what no database can store before any other check.

    Plain pydantic models, not ninja's Schema: input is JSON, never ORM objects, and Schema's wrapper for
    reading attributes off objects costs a third of an import's time. Fields that hold other input schemas
    are left to those schemas' own scrub, so nested input is walked once, not once per level."""

    nested_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.nested_fields = frozenset(
            f.alias or name for name, f in cls.model_fields.items() if _holds_storable(f.annotation)
        )

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        if isinstance(data, dict) and cls.nested_fields:
            nested = cls.nested_fields
            return {storable(k): v if k in nested else storable(v) for k, v in data.items()}
        return storable(data)


def normalize_email(value: str) -> str:
    value = value.strip().lower()
    if "@" not in value or value.startswith("@") or value.endswith("@") or len(value) > 254 or " " in value:
        raise ValueError(f"{value!r} is not an email address")
    return value


def normalize_phone(value: str) -> str:
    digits = _PHONE_STRIP.sub("", value.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not re.fullmatch(r"\+?\d{5,20}", digits):
        raise ValueError(f"{value!r} is not a phone number")
    return digits


def check_timestamp(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # naive timestamps are taken as UTC
    now = datetime.now(UTC)
    if value > now + FUTURE_TOLERANCE:
        raise ValueError(f"{name} {value.isoformat()} is in the future")
    if value < EARLIEST:
        raise ValueError(f"{name} {value.isoformat()} is before 1990")
    return value


def check_flat_json(value: dict[str, Any], name: str) -> dict[str, Any]:
    if len(value) > MAX_JSON_KEYS:
        raise ValueError(f"{name} has {len(value)} keys; at most {MAX_JSON_KEYS}")
    return value


class CustomerRef(StorableInput):
    """Who the customer is: any of these identities finds an existing profile; otherwise one is created."""

    # bounded by the id column (64-bit): a larger number is no id, and no database could look it up
    id: int | None = Field(None, ge=1, le=2**63 - 1, description="CX Loop's customer id")
    external_id: str | None = Field(None, max_length=200, description="Your CRM / shop id")
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    social: str | None = Field(None, max_length=200, description="A social handle, e.g. twitter:@anna")
    name: str | None = Field(None, max_length=200)
    plan: str | None = Field(None, max_length=60)
    segment: str | None = Field(None, max_length=60)
    country: str | None = Field(None, max_length=2, min_length=2)
    region: str | None = Field(None, max_length=60)
    lifetime_value: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    signup_at: datetime | None = None
    attributes: dict[str, Any] | None = None
    consent: str | None = Field(None, pattern="^(unknown|granted|withdrawn)$")

    @field_validator("email")
    @classmethod
    def _email(cls, v):
        return normalize_email(v) if v else None

    @field_validator("phone")
    @classmethod
    def _phone(cls, v):
        return normalize_phone(v) if v else None

    @field_validator("external_id", "social")
    @classmethod
    def _strip(cls, v):
        return v.strip() or None if v else None

    @field_validator("country")
    @classmethod
    def _country(cls, v):
        return v.upper() if v else None

    @field_validator("signup_at")
    @classmethod
    def _signup(cls, v):
        return check_timestamp(v, "signup_at") if v else None

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, v):
        return check_flat_json(v, "attributes") if v else v

    def identities(self) -> list[tuple[str, str]]:
        """(kind, value) pairs in matching priority: the CRM id first, then email, phone, social handle."""
        pairs = []
        for kind in ("external_id", "email", "phone", "social"):
            value = getattr(self, kind)
            if value:
                pairs.append((kind, value))
        return pairs


class CustomerIn(CustomerRef):
    @model_validator(mode="after")
    def _has_identity(self):
        if not self.identities():
            raise ValueError("a customer needs at least one of external_id, email, phone or social")
        return self


class EventIn(StorableInput):
    name: str = Field(..., min_length=1, max_length=100, description="e.g. order_placed, order_delivered")
    occurred_at: datetime
    customer: CustomerRef | None = None
    source: str = Field("", max_length=100)
    external_id: str | None = Field(None, max_length=200)
    properties: dict[str, Any] = Field(default_factory=dict)

    @field_validator("occurred_at")
    @classmethod
    def _occurred(cls, v):
        return check_timestamp(v, "occurred_at")

    @field_validator("properties")
    @classmethod
    def _props(cls, v):
        return check_flat_json(v, "properties")


class EventBatchIn(BaseModel):
    items: list[EventIn] = Field(..., min_length=1, max_length=1000)
