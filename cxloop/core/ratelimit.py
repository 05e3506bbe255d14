"""Fixed-window rate limits kept in the database, so every process sees the same counts.

`hit(key, limit, window_seconds)` counts one event and tells whether it is still within the limit;
`peek` reads without counting (used to refuse before doing any work, e.g. password hashing).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection

from .models import RateCounter


@dataclass(frozen=True)
class RateState:
    count: int
    limit: int
    retry_after: int  # seconds until the window resets

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def _window(window_seconds: int, now: float | None = None) -> tuple[int, int]:
    now = time.time() if now is None else now
    start = int(now // window_seconds) * window_seconds
    return start, max(1, int(start + window_seconds - now))


def hit(key: str, *, limit: int, window_seconds: int, now: float | None = None) -> RateState:
    start, retry_after = _window(window_seconds, now)
    table = RateCounter._meta.db_table
    # One statement, atomic on both SQLite (>= 3.35) and PostgreSQL.
    sql = (
        f"INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, 1) "  # noqa: S608 - table name is ours
        f"ON CONFLICT (key, window_start) DO UPDATE SET count = {table}.count + 1 RETURNING count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key[:200], start])
        (count,) = cursor.fetchone()
    return RateState(count=count, limit=limit, retry_after=retry_after)


def peek(key: str, *, limit: int, window_seconds: int, now: float | None = None) -> RateState:
    start, retry_after = _window(window_seconds, now)
    row = (
        RateCounter.objects.filter(key=key[:200], window_start=start).values_list("count", flat=True).first()
    )
    return RateState(count=row or 0, limit=limit, retry_after=retry_after)


def reset(key: str) -> None:
    RateCounter.objects.filter(key=key[:200]).delete()


def prune(*, older_than_seconds: int = 24 * 3600) -> int:
    deleted, _ = RateCounter.objects.filter(window_start__lt=int(time.time()) - older_than_seconds).delete()
    return deleted
