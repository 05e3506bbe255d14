"""Ingest speed: batch API ingest of answers vs a raw COPY of the same rows, in the same run.

    python bench/ingest.py [--db postgres|sqlite|both] [--batches 20] [--clients 2]

For each database it makes a fresh database, migrates it, starts the production server (gunicorn, as
`cxloop serve` does), posts `--batches` batches of 1,000 feedback items with 3 answers each (plus text and a
customer) through POST /api/v1/feedback/batch from `--clients` concurrent clients, and reports answers/s.
The baseline is the same rows written without the product: PostgreSQL `COPY` into plain tables
(items, then answers); on SQLite an `executemany` INSERT into plain tables in one transaction.
Prints figures and the ratio product / baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PG_ADMIN, ROOT, fresh_pg_database, production_server

PG_DB = "cxloop_bench"
ITEMS_PER_BATCH = 1000
ANSWERS_PER_ITEM = 3

WORDS = [
    "parcel", "late", "delivery", "courier", "lovely", "quality", "linen", "sizing", "small", "refund",
    "support", "quick", "helpful", "app", "checkout", "payment", "failed", "price", "value", "packaging",
    "tracking",
]  # fmt: skip


def make_batches(n: int, seed: int = 7) -> list[list[dict]]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batches = []
    for b in range(n):
        items = []
        for i in range(ITEMS_PER_BATCH):
            k = b * ITEMS_PER_BATCH + i
            items.append(
                {
                    "external_id": f"bench-{k}",
                    "channel": "survey",
                    "source": "Relationship NPS",
                    "customer": {"external_id": f"cust-{rng.randrange(20000)}"},
                    "occurred_at": (start + timedelta(minutes=k)).isoformat(),
                    "text": " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 30))),
                    "answers": [
                        {"key": "nps", "type": "nps", "value": rng.randint(0, 10)},
                        {"key": "csat", "type": "csat", "value": rng.randint(1, 5)},
                        {"key": "ces", "type": "ces", "value": rng.randint(1, 7)},
                    ],
                }
            )
        batches.append(items)
    return batches


def run(cmd: list[str], env: dict) -> str:
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def setup_product(env: dict) -> str:
    """Migrate and create a workspace with a write key; return the key."""
    run([sys.executable, "-m", "cxloop.cli", "migrate"], env)
    code = (
        "import django; django.setup()\n"
        "from cxloop.accounts.services import user_create, workspace_create, api_key_create\n"
        "u = user_create(email='bench@x.example', password='bench-password-1')\n"
        "w = workspace_create(name='Bench', owner=u)\n"
        "print(api_key_create(workspace=w, name='bench', scopes=['write'], actor=u).raw)\n"
    )
    return run([sys.executable, "-c", code], {**env, "DJANGO_SETTINGS_MODULE": "cxloop.settings"}).strip()


def post(url: str, key: str, body: bytes) -> int:
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=300) as resp:
        resp.read()
        return resp.status


def bench_product(env: dict, batches: list[list[dict]], clients: int) -> float:
    key = setup_product(env)
    with production_server(env, threads=2) as port:
        base = f"http://127.0.0.1:{port}"
        bodies = [json.dumps({"items": b}).encode() for b in batches]
        post(base + "/api/v1/feedback/batch", key, bodies[0])  # warm-up (also creates the first customers)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            statuses = list(
                pool.map(lambda body: post(base + "/api/v1/feedback/batch", key, body), bodies[1:])
            )
        elapsed = time.perf_counter() - t0
        assert all(s == 201 for s in statuses), statuses
    return (len(batches) - 1) * ITEMS_PER_BATCH * ANSWERS_PER_ITEM / elapsed


def rows_of(batches):
    items, answers = [], []
    for batch in batches[1:]:
        for it in batch:
            items.append(
                (
                    it["external_id"],
                    it["channel"],
                    it["source"],
                    it["occurred_at"],
                    it["text"],
                    it["customer"]["external_id"],
                )
            )
            for a in it["answers"]:
                answers.append((it["external_id"], a["key"], a["type"], float(a["value"]), it["occurred_at"]))
    return items, answers


def baseline_copy_pg(batches) -> float:
    import psycopg

    items, answers = rows_of(batches)
    with psycopg.connect(PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}", autocommit=False) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_items, raw_answers")
        conn.execute(
            "CREATE TABLE raw_items (id bigserial primary key, external_id text, channel text, "
            "source text, occurred_at timestamptz, text text, customer text)"
        )
        conn.execute(
            "CREATE TABLE raw_answers (id bigserial primary key, item text, key text, type text, "
            "value float8, occurred_at timestamptz)"
        )
        conn.commit()
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            with cur.copy(
                "COPY raw_items (external_id, channel, source, occurred_at, text, customer) FROM STDIN"
            ) as copy:
                for row in items:
                    copy.write_row(row)
            with cur.copy("COPY raw_answers (item, key, type, value, occurred_at) FROM STDIN") as copy:
                for row in answers:
                    copy.write_row(row)
        conn.commit()
        elapsed = time.perf_counter() - t0
    return len(answers) / elapsed


def baseline_sqlite(batches, path: Path) -> float:
    import sqlite3

    items, answers = rows_of(batches)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE raw_items (id integer primary key, external_id text, channel text, source text, "
        "occurred_at text, text text, customer text)"
    )
    conn.execute(
        "CREATE TABLE raw_answers (id integer primary key, item text, key text, type text, value real, "
        "occurred_at text)"
    )
    t0 = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO raw_items (external_id, channel, source, occurred_at, text, customer) "
            "VALUES (?,?,?,?,?,?)",
            items,
        )
        conn.executemany(
            "INSERT INTO raw_answers (item, key, type, value, occurred_at) VALUES (?,?,?,?,?)", answers
        )
    elapsed = time.perf_counter() - t0
    conn.close()
    return len(answers) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    batches = make_batches(args.batches + 1)
    n_answers = args.batches * ITEMS_PER_BATCH * ANSWERS_PER_ITEM
    print(
        f"ingest bench: {args.batches} batches × {ITEMS_PER_BATCH} items × {ANSWERS_PER_ITEM} answers "
        f"= {n_answers:,} answers, {args.clients} clients, {os.cpu_count()} cores"
    )
    tmp = Path(tempfile.mkdtemp(prefix="cxloop-bench-"))
    base_env = {
        **os.environ,
        "CXLOOP_DATA_DIR": str(tmp),
        "CXLOOP_HTTPS": "false",
        "SECRET_KEY": "b" * 50,
        "CXLOOP_API_RATE_LIMIT": "1000000",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "cxloop.settings",
    }
    try:
        if args.db in ("postgres", "both"):
            env = {**base_env, "DATABASE_URL": fresh_pg_database(PG_DB)}
            product = bench_product(env, batches, args.clients)
            copy = baseline_copy_pg(batches)
            print(
                f"postgres  product API ingest: {product:10,.0f} answers/s   "
                f"raw COPY: {copy:10,.0f} answers/s   "
                f"ratio {product / copy:.1%}   (goal ≥ 5,000/s and ≥ 30%)"
            )
        if args.db in ("sqlite", "both"):
            env = {**base_env, "CXLOOP_DATA_DIR": str(tmp / "sqlite")}
            env.pop("DATABASE_URL", None)
            (tmp / "sqlite").mkdir()
            product = bench_product(env, batches, args.clients)
            raw = baseline_sqlite(batches, tmp / "raw.sqlite3")
            print(
                f"sqlite    product API ingest: {product:10,.0f} answers/s   "
                f"raw INSERT: {raw:10,.0f} answers/s  "
                f"ratio {product / raw:.1%}"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
