"""Inbox speed at 1,000,000 feedback items: first page, a filtered page and a deep page, beside the
hand-written SQL of the same page in the same run.

    python bench/inbox.py [--db sqlite|postgres] [--items 1000000] [--runs 20]

Generates a workspace with `--items` feedback items (each with an NPS answer and a customer among 50,000)
plus a second workspace of 10% the size (so filters must skip other tenants' rows), straight into the
tables (data generation is not what is measured). Then renders GET /inbox/ through Django's test client
as a logged-in viewer — the whole view: middleware, access check, selectors, template — and reports
p50/p95 and the query count, next to the single SQL query that fetches the same 50 rows (the floor).
Goal (issue #4): first page < 300 ms at 1M items, constant query count.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository, for `import cxloop`
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
PG_DB = "cxloop_bench_inbox"
CHANNELS = ["survey", "review", "ticket", "social", "chat"]
SOURCES = ["Relationship NPS", "Trustpilot", "Zendesk", "X", "Live chat", "App Store", "Post-delivery CSAT"]
WORDS = ["parcel", "late", "delivery", "courier", "lovely", "quality", "linen", "sizing", "small", "refund"]


def generate(workspace, n: int, rng: random.Random) -> None:
    from cxloop.core.bulk import insert_rows
    from cxloop.customers.models import Customer
    from cxloop.feedback.models import Answer, FeedbackItem
    from cxloop.feedback.services import ANSWER_FIELDS, ITEM_FIELDS

    now = datetime.now(UTC)
    n_customers = max(1, min(50_000, n // 20))
    fields = [
        "workspace",
        "name",
        "email",
        "plan",
        "segment",
        "country",
        "region",
        "attributes",
        "consent",
        "created_at",
        "updated_at",
    ]
    customer_ids = insert_rows(
        Customer,
        fields,
        [
            (
                workspace.pk,
                f"Customer {i}",
                f"c{i}@w{workspace.pk}.example",
                "",
                "",
                "",
                "",
                {},
                "unknown",
                now,
                now,
            )
            for i in range(n_customers)
        ],
        returning_pk=True,
    )
    chunk = 20_000
    for start in range(0, n, chunk):
        rows, moments = [], []
        for k in range(start, min(n, start + chunk)):
            moment = now - timedelta(seconds=31_536_000 * (1 - k / n))
            channel = rng.choice(CHANNELS)
            rows.append(
                (
                    workspace.pk,
                    rng.choice(customer_ids),
                    channel,
                    rng.choice(SOURCES),
                    "delivery",
                    f"gen-{k}",
                    moment,
                    moment,
                    "en",
                    "",
                    " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 25))),
                    {},
                )
            )
            moments.append((moment, channel))
        pks = insert_rows(FeedbackItem, ITEM_FIELDS, rows, returning_pk=True)
        insert_rows(
            Answer,
            ANSWER_FIELDS,
            [
                (workspace.pk, pk, "nps", "nps", m, ch, float(rng.randint(0, 10)), "", None, 0, 10)
                for pk, (m, ch) in zip(pks, moments, strict=True)
            ],
        )


def timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    q = statistics.quantiles(times, n=20)
    return statistics.median(times), q[18]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    from common import django_in_process

    tmp = django_in_process(args.db, PG_DB)
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client

    from cxloop.accounts.models import Membership
    from cxloop.accounts.services import user_create, workspace_create

    try:
        call_command("migrate", verbosity=0)
        owner = user_create(email="o@x.example", password="bench-password-1")
        viewer = user_create(email="v@x.example", password="bench-password-1")
        main_ws = workspace_create(name="Big", owner=owner)
        other_ws = workspace_create(name="Other", owner=owner)
        Membership.objects.create(workspace=main_ws, user=viewer, role="viewer")
        t0 = time.perf_counter()
        rng = random.Random(11)
        with transaction.atomic():
            generate(main_ws, args.items, rng)
            generate(other_ws, args.items // 10, rng)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"inbox bench on {args.db}: {args.items:,} items (+{args.items // 10:,} in another workspace), "
            f"generated in {time.perf_counter() - t0:.0f} s"
        )
        client = Client()
        client.force_login(viewer)
        session = client.session
        session["cxloop_workspace_id"] = main_ws.pk
        session.save()

        from cxloop.feedback.models import FeedbackItem

        deep = FeedbackItem.objects.filter(workspace=main_ws).order_by("-occurred_at", "-id")[args.items // 2]
        from cxloop.core.pagination import encode_cursor

        cursor_deep = encode_cursor(deep.occurred_at, deep.pk)
        pages = [
            ("first page", "/inbox/"),
            ("channel=review", "/inbox/?channel=review"),
            ("score 0-6", "/inbox/?score_max=6"),
            ("page at the middle", f"/inbox/?cursor={cursor_deep}"),
        ]
        table = FeedbackItem._meta.db_table
        raw_sql = f"SELECT * FROM {table} WHERE workspace_id = %s ORDER BY occurred_at DESC, id DESC LIMIT 51"

        def raw():
            with connection.cursor() as c:
                c.execute(raw_sql, [main_ws.pk])
                c.fetchall()

        base_p50, base_p95 = timed(raw, args.runs)
        print(f"{'baseline: one SQL query, 51 rows':34s} p50 {base_p50:7.1f} ms  p95 {base_p95:7.1f} ms")
        for name, url in pages:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            queries: list[str] = []

            def count(execute, sql, params, many, context, queries=queries):
                queries.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                client.get(url)
            p50, p95 = timed(lambda url=url: client.get(url), args.runs)
            flag = "" if name != "first page" else f"   goal < 300 ms: {'met' if p95 < 300 else 'NOT met'}"
            print(
                f"GET {name:30s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  queries {len(queries):2d}  "
                f"ratio to baseline {p50 / base_p50:5.1f}x{flag}"
            )
    finally:
        connection.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
