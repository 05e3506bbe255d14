"""Local periods on SQLite without a Python function per row.

Django's `Trunc*(tzinfo=...)` on SQLite calls a Python function for every row (about 4 µs each: over a second
for a million answers). `LocalPeriod` does the same in SQLite's own date functions: the instant (stored in
UTC) is shifted by the time zone's UTC offset, chosen by a balanced tree of CASE comparisons against the
instants at which the offset changes (daylight saving; about two a year, so 7 or 8 comparisons a row), then
truncated with strftime/date. When the selection has both bounds, a balanced tree of comparisons with the
first instant of each of its periods gives the label directly (cheaper still: no date function at all).
The result is the period's first day as text, "YYYY-MM-DD" (a week starts on Monday, as Django's
TruncWeek). PostgreSQL truncates in the zone natively and keeps using Trunc*.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import CharField, Func

KINDS = ("day", "week", "month", "quarter")
FIRST_YEAR = 1970
YEARS_AHEAD = 20


@functools.lru_cache(maxsize=64)
def offset_changes(zone: str, first_year: int, last_year: int) -> tuple[int, tuple[tuple[str, int], ...]]:
    """(offset in seconds before the first change, ((UTC instant "YYYY-MM-DD HH:MM:SS", new offset), …)) of
    the zone between the first day of first_year and the last of last_year, to the minute."""
    tz = ZoneInfo(zone)

    def offset(moment: datetime) -> int:
        return int(moment.astimezone(tz).utcoffset().total_seconds())

    day = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    first = current = offset(day)
    changes = []
    while day < end:
        following = day + timedelta(days=1)
        if offset(following) != current:
            lo, hi = day, following  # the change is in (lo, hi]: find its minute
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(second=0, microsecond=0)
                if mid <= lo:
                    break
                if offset(mid) == current:
                    lo = mid
                else:
                    hi = mid
            current = offset(hi)
            changes.append((hi.strftime("%Y-%m-%d %H:%M:%S"), current))
        day = following
    return first, tuple(changes)


MAX_PERIODS = 800  # a bounded selection with more periods than this uses the offset tree and strftime


def _start_of(kind: str, day: date) -> date:
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    return day


def _next_start(kind: str, day: date) -> date:
    if kind == "day":
        return day + timedelta(days=1)
    if kind == "week":
        return day + timedelta(days=7)
    months = 1 if kind == "month" else 3
    year, month = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month + 1, 1)


def period_starts(kind: str, tz: ZoneInfo, since: datetime, until: datetime) -> list[tuple[str, str]]:
    """[(first day "YYYY-MM-DD", its local midnight as a UTC "YYYY-MM-DD HH:MM:SS"), …] of every period
    that [since, until) touches, oldest first (empty when there are more than MAX_PERIODS)."""
    day = _start_of(kind, since.astimezone(tz).date())
    last = until.astimezone(tz).date()
    out: list[tuple[str, str]] = []
    while day <= last and len(out) <= MAX_PERIODS:
        midnight = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
        out.append((day.isoformat(), midnight.strftime("%Y-%m-%d %H:%M:%S")))
        day = _next_start(kind, day)
    return out if len(out) <= MAX_PERIODS else []


def _label_case(column: str, starts: list[tuple[str, str]]) -> str:
    """SQL giving the label of the period `column`'s instant falls in: a balanced tree of comparisons with
    the periods' first instants (the selection's own bounds keep earlier rows out)."""

    def build(lo: int, hi: int) -> str:
        if lo == hi:
            return f"'{starts[lo][0]}'"
        mid = (lo + hi + 1) // 2
        return f"CASE WHEN {column} < '{starts[mid][1]}' THEN {build(lo, mid - 1)} ELSE {build(mid, hi)} END"

    return build(0, len(starts) - 1)


def _modifier(seconds: int) -> str:
    return f"'{seconds:+d} seconds'"


def _offset_case(column: str, first: int, changes: tuple[tuple[str, int], ...]) -> str:
    """SQL choosing the offset modifier of `column`'s instant: a balanced tree of CASE comparisons."""
    offsets = [first] + [o for _, o in changes]

    def build(lo: int, hi: int) -> str:  # offsets[lo..hi]; offsets[i] holds from changes[i - 1]
        if lo == hi:
            return _modifier(offsets[lo])
        mid = (lo + hi + 1) // 2
        at = changes[mid - 1][0]
        return f"CASE WHEN {column} < '{at}' THEN {build(lo, mid - 1)} ELSE {build(mid, hi)} END"

    return build(0, len(offsets) - 1)


class LocalPeriod(Func):
    """The local day, Monday of the week, first of the month or of the quarter of a datetime column, as
    "YYYY-MM-DD" text. SQLite only (see the module's docstring)."""

    output_field = CharField()

    def __init__(
        self,
        expression,
        *,
        kind: str,
        tz: ZoneInfo,
        since: datetime | None = None,
        until: datetime | None = None,
        now: datetime | None = None,
    ):
        """`since`/`until`: the selection's bounds, when it has them: only the clock changes between them
        (with a year's margin) go into the SQL, two or three comparisons a row instead of seven or eight."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        super().__init__(expression)
        self.kind, self.zone = kind, str(tz)
        self.since, self.until = since, until
        self.first_year = since.year - 1 if since else FIRST_YEAR
        self.last_year = until.year + 1 if until else (now or datetime.now(UTC)).year + YEARS_AHEAD

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        if params:  # the column appears several times below; only plain columns are expected
            raise ValueError("LocalPeriod takes a column, not an expression with parameters")
        if self.since is not None and self.until is not None:
            starts = period_starts(self.kind, ZoneInfo(self.zone), self.since, self.until)
            if 0 < len(starts) <= MAX_PERIODS:  # a tree of comparisons that yields the label itself
                return _label_case(column, starts), []
        first, changes = offset_changes(self.zone, self.first_year, self.last_year)
        shift = _offset_case(column, first, changes) if changes else _modifier(first)
        column = f"substr({column}, 1, 19)"  # whole seconds: SQLite rounds 59.9999995 s up to the next minute
        if self.kind == "day":
            sql = f"strftime('%%Y-%%m-%%d', {column}, {shift})"
        elif self.kind == "week":
            sql = f"date({column}, {shift}, '-6 days', 'weekday 1')"
        elif self.kind == "month":
            sql = f"strftime('%%Y-%%m-01', {column}, {shift})"
        else:
            local = f"strftime('%%m', {column}, {shift})"
            sql = (
                f"strftime('%%Y-', {column}, {shift}) || "
                f"CASE (CAST({local} AS INTEGER) - 1) / 3 "
                "WHEN 0 THEN '01-01' WHEN 1 THEN '04-01' WHEN 2 THEN '07-01' ELSE '10-01' END"
            )
        return sql, []
