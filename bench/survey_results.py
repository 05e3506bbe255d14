"""Speed of a survey's results page, its PDF and its CSV export with 10,000 responses.

    python bench/survey_results.py [--db sqlite|postgres] [--responses 10000] [--runs 10]

Generates one live survey (the post-delivery CSAT template plus an NPS question and a choice question with
"other") with `--responses` responses over 12 months, 20% of them partial, each with its feedback item and
typed answers, written straight into the tables (generation is not what is measured), plus as many
feedback items of other channels in the same workspace (the answers table is shared). Then renders
/surveys/<id>/results/ through Django's test client as a logged-in viewer (middleware, access check,
selectors, charts, template), the same page with filters, the PDF and the whole CSV export, and prints
p50/p95 and the query count beside the floor: one SQL query that counts the survey's answers per key
and value (the least any results page must read).
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
PG_DB = "cxloop_bench_results"
WORDS = ["parcel", "late", "delivery", "courier", "lovely", "quality", "linen", "sizing", "small", "refund"]


def survey_definition() -> dict:
    from cxloop.surveys.library import template_definition

    defn = template_definition("delivery_csat")
    defn["blocks"].insert(
        0,
        {
            "key": "loyalty",
            "questions": [
                {
                    "key": "nps",
                    "type": "nps",
                    "label": "How likely are you to recommend us?",
                    "required": True,
                },
                {
                    "key": "reason",
                    "type": "choice",
                    "label": "What matters most?",
                    "allow_other": True,
                    "options": [
                        {"key": k, "label": k.title()} for k in ("price", "speed", "quality", "service")
                    ],
                },
            ],
        },
    )
    return defn


def generate(survey, n: int, rng: random.Random) -> None:
    from cxloop.core.bulk import insert_rows
    from cxloop.customers.models import Customer
    from cxloop.feedback.models import Answer, FeedbackItem
    from cxloop.feedback.services import ANSWER_FIELDS, ITEM_FIELDS
    from cxloop.surveys.models import Response

    ws = survey.workspace
    now = datetime.now(UTC)
    segments = ["smb", "mid", "enterprise"]
    customers = insert_rows(
        Customer,
        [
            "workspace",
            "name",
            "email",
            "segment",
            "plan",
            "country",
            "region",
            "attributes",
            "consent",
            "created_at",
            "updated_at",
        ],
        [
            (ws.pk, f"C {i}", f"c{i}@x.example", rng.choice(segments), "", "DE", "", {}, "unknown", now, now)
            for i in range(max(1, n // 5))
        ],
        returning_pk=True,
    )
    version = survey.current_version
    for start in range(0, n, 5000):
        items, states = [], []
        for k in range(start, min(n, start + 5000)):
            moment = now - timedelta(seconds=31_536_000 * (1 - k / n))
            done = rng.random() > 0.2
            answers = {"nps": rng.choice([0, 3, 5, 6, 7, 8, 8, 9, 9, 10, 10])}
            other = {}
            if done or rng.random() > 0.5:
                answers["reason"] = rng.choice(["price", "speed", "quality", "service", "other"])
                if answers["reason"] == "other":
                    other["reason"] = " ".join(rng.choice(WORDS) for _ in range(3))
            if done:
                answers.update(
                    csat=rng.randint(1, 5),
                    on_time=rng.random() > 0.3,
                    aspects={r: rng.randint(1, 5) for r in ("speed", "packaging", "courier", "tracking")},
                    comment=" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 15))),
                )
            hidden = {"touchpoint": rng.choice(["web", "store"]), "order_id": f"O-{k}"}
            states.append((moment, done, answers, other, hidden))
            item = (ws.pk, rng.choice(customers), "survey", survey.name, "delivery", f"response-gen-{k}")
            items.append(
                (*item, moment, moment, "en", "", answers.get("comment", ""), {"survey_id": survey.pk})
            )
        pks = insert_rows(FeedbackItem, ITEM_FIELDS, items, returning_pk=True)
        answer_rows = []
        for pk, (moment, _, answers, other, _) in zip(pks, states, strict=True):
            for key, value in answers.items():
                base = (ws.pk, pk)
                if key == "nps":
                    answer_rows.append((*base, key, "nps", moment, "survey", float(value), "", None, 0, 10))
                elif key == "csat":
                    answer_rows.append((*base, key, "csat", moment, "survey", float(value), "", None, 1, 5))
                elif key == "on_time":
                    answer_rows.append(
                        (*base, key, "yes_no", moment, "survey", float(value), "", None, None, None)
                    )
                elif key == "aspects":
                    for row, v in value.items():
                        answer_rows.append(
                            (*base, f"aspects.{row}", "rating", moment, "survey", float(v), "", None, 1, 5)
                        )
                elif key == "reason":
                    answer_rows.append(
                        (
                            *base,
                            key,
                            "choice",
                            moment,
                            "survey",
                            None,
                            other.get("reason", ""),
                            [value],
                            None,
                            None,
                        )
                    )
                else:
                    answer_rows.append((*base, key, "text", moment, "survey", None, value, None, None, None))
        insert_rows(Answer, ANSWER_FIELDS, answer_rows)
        Response.objects.bulk_create(
            [
                Response(
                    workspace=ws,
                    survey=survey,
                    version=version,
                    token=f"gen-{start + i}",
                    via="link",
                    language="en",
                    state={"answers": answers, "other": other, "hidden": hidden, "repeats": {}},
                    last_question=list(answers)[-1],
                    answered=len(answers),
                    status="completed" if done else "partial",
                    feedback_item_id=pk,
                    started_at=moment,
                    updated_at=moment,
                    completed_at=moment if done else None,
                )
                for i, (pk, (moment, done, answers, other, hidden)) in enumerate(
                    zip(pks, states, strict=True)
                )
            ],
            batch_size=1000,
        )
    other_items = insert_rows(
        FeedbackItem,
        ITEM_FIELDS,
        [
            (ws.pk, None, "review", "Trustpilot", "", f"rev-{k}", now, now, "en", "", "fine", {})
            for k in range(n)
        ],
        returning_pk=True,
    )
    insert_rows(
        Answer,
        ANSWER_FIELDS,
        [(ws.pk, pk, "nps", "nps", now, "review", 9.0, "", None, 0, 10) for pk in other_items],
    )


def timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]
    return statistics.median(times), p95


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    from common import django_in_process

    tmp = django_in_process(args.db, PG_DB)
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cxloop.accounts.models import Membership
    from cxloop.accounts.services import user_create, workspace_create
    from cxloop.surveys import services

    try:
        call_command("migrate", verbosity=0)
        owner = user_create(email="o@x.example", password="bench-password-1")
        viewer = user_create(email="v@x.example", password="bench-password-1")
        ws = workspace_create(name="Big", owner=owner)
        Membership.objects.create(workspace=ws, user=viewer, role="viewer")
        survey = services.survey_create(
            workspace=ws, actor=owner, name="Delivery", definition=survey_definition()
        )
        survey = services.survey_publish(survey=survey, actor=owner)
        t0 = time.perf_counter()
        with transaction.atomic():
            generate(survey, args.responses, random.Random(5))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"results bench on {args.db}: {args.responses:,} responses (20% partial) over 12 months, "
            f"generated in {time.perf_counter() - t0:.0f} s"
        )
        client = Client()
        client.force_login(viewer)
        base = f"/surveys/{survey.pk}"
        floor_sql = (
            "SELECT a.key, a.value, COUNT(*) FROM feedback_answer a JOIN surveys_response r "
            "ON r.feedback_item_id = a.item_id WHERE r.survey_id = %s GROUP BY a.key, a.value"
        )

        def floor():
            with connection.cursor() as c:
                c.execute(floor_sql, [survey.pk])
                c.fetchall()

        def csv_export():
            owner_client = Client()
            owner_client.force_login(owner)
            resp = owner_client.get(f"{base}/results.csv")
            assert resp.status_code == 200
            return sum(len(chunk) for chunk in resp.streaming_content)

        rows = [("floor: one grouped count of the answers", floor, None)]
        for label, path in (
            ("results page", f"{base}/results/"),
            ("results page, filtered", f"{base}/results/?status=completed&h_touchpoint=store&segment=smb"),
            ("PDF summary", f"{base}/results.pdf"),
        ):

            def get(path=path):
                assert client.get(path).status_code == 200

            with CaptureQueriesContext(connection) as queries:
                get()
            rows.append((label, get, len(queries)))
        rows.append(("CSV export, all rows", csv_export, None))
        print(f"{'':40} {'p50 ms':>9} {'p95 ms':>9} {'queries':>8}")
        for label, fn, n_queries in rows:
            p50, p95 = timed(fn, args.runs)
            print(f"{label:40} {p50:9.1f} {p95:9.1f} {'' if n_queries is None else n_queries:>8}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
