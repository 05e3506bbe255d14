"""Input checks shared by what a workspace saves about its metrics (targets, alerts, scheduled reports): a
name, and a slice of the feedback given as {filter: value}."""

from __future__ import annotations

from cxloop.core.exceptions import ServiceError
from cxloop.feedback.models import Channel

MAX_NAME = 120
MAX_VALUE = 100


def clean_name(name: str, *, what: str) -> str:
    """The name stripped; ServiceError when empty ("Give the <what> a name.") or longer than MAX_NAME."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(f"Give the {what} a name.", field="name")
    if len(name) > MAX_NAME:
        raise ServiceError(f"The name is longer than {MAX_NAME} characters.", field="name")
    return name


def clean_slice(filters: dict | None, keys: tuple[str, ...], *, check_channel: bool = True) -> dict[str, str]:
    """{filter: value} with only the `keys` allowed, values stripped and at most MAX_VALUE characters, empty
    ones dropped; a channel must be a known one (unless check_channel is off)."""
    clean = {}
    for key, val in (filters or {}).items():
        if key not in keys:
            raise ServiceError(f"Unknown filter {str(key)[:40]!r}; use {', '.join(keys)}.", field="filters")
        val = str(val or "").strip()
        if len(val) > MAX_VALUE:
            raise ServiceError(f"The {key} filter is longer than {MAX_VALUE} characters.", field="filters")
        if check_channel and key == "channel" and val and val not in Channel.values:
            raise ServiceError(f"Unknown channel {val[:40]!r}.", field="channel")
        if val:
            clean[key] = val
    return clean
