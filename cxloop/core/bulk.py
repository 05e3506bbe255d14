"""Fast multi-row INSERT for the ingest hot path.

`QuerySet.bulk_create` prepares every value through the field machinery (about 10 µs a value); ingesting
1,000 items with 3 answers each spends most of its time there. `insert_rows` adapts each column once by its
field type and sends plain multi-row INSERT statements (with RETURNING for the primary keys when asked).
It skips model `save()` and signals, which the store does not use. Works on SQLite (>= 3.35) and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

from django.db import connection, models

SQLITE_MAX_VARIABLES = 32766


def _adapter(field: models.Field) -> Callable[[Any], Any]:
    vendor = connection.vendor
    if isinstance(field, models.DateTimeField):
        if vendor == "sqlite":
            # Django stores UTC as naive ISO text on SQLite.
            return lambda v: None if v is None else v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        return lambda v: v
    if isinstance(field, models.JSONField):
        return lambda v: None if v is None else json.dumps(v)
    if isinstance(field, models.ForeignKey):
        return lambda v: v.pk if isinstance(v, models.Model) else v
    return lambda v: v


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning_pk: bool = False,
    ignore_conflicts: bool = False,
) -> list[int]:
    """Insert `rows` (tuples in `fields` order; ForeignKeys by their attname, e.g. "item_id") and return the
    new primary keys in order when `returning_pk`. `ignore_conflicts` skips rows that break a unique
    constraint (ON CONFLICT DO NOTHING); it cannot be combined with `returning_pk`."""
    if returning_pk and ignore_conflicts:
        raise ValueError("returning_pk and ignore_conflicts cannot be combined: skipped rows return no key")
    if not rows:
        return []
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    adapters = [_adapter(f) for f in columns]
    quote = connection.ops.quote_name
    column_sql = ", ".join(quote(f.column) for f in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, min(1000, SQLITE_MAX_VARIABLES // len(columns)))
    returning = f" RETURNING {quote(meta.pk.column)}" if returning_pk else ""
    if ignore_conflicts:
        returning = " ON CONFLICT DO NOTHING"
    pks: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [adapt(value) for row in chunk for adapt, value in zip(adapters, row, strict=True)]
            values = ", ".join([one] * len(chunk))
            sql = f"INSERT INTO {quote(meta.db_table)} ({column_sql}) VALUES {values}"  # noqa: S608 - names are ours
            cursor.execute(sql + returning, params)
            if returning_pk:
                pks.extend(row[0] for row in cursor.fetchall())
    return pks


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE rows by primary key: each row is (pk, *values in `fields` order). One prepared statement run
    with executemany, instead of `bulk_update`'s CASE expressions (which cost seconds per thousand rows)."""
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    adapters = [_adapter(f) for f in columns]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    params = [[adapt(v) for adapt, v in zip(adapters, row[1:], strict=True)] + [row[0]] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
