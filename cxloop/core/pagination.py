"""Keyset (cursor) pagination over (timestamp, id) descending: stable under inserts, same cost per page."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from django.db.models import Q, QuerySet

from .exceptions import ServiceError

MAX_LIMIT = 200


def encode_cursor(moment: datetime, pk: int) -> str:
    raw = json.dumps([moment.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(moment), int(pk)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise ServiceError(
            "The cursor is not valid: use the `next` value of a previous page.", field="cursor"
        ) from None


def keyset_page(qs: QuerySet, *, time_field: str, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of `qs` newest first, and the cursor of the next page (None on the last page)."""
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        moment, pk = decode_cursor(cursor)
        qs = qs.filter(Q(**{f"{time_field}__lt": moment}) | Q(**{time_field: moment, "pk__lt": pk}))
    rows = list(qs.order_by(f"-{time_field}", "-pk")[: limit + 1])
    if len(rows) > limit:
        last = rows[limit - 1]
        return rows[:limit], encode_cursor(getattr(last, time_field), last.pk)
    return rows, None
