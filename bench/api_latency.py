"""Latency of a single POST /api/v1/feedback under concurrent clients, on the production server.

    python bench/api_latency.py [--db sqlite|postgres] [--clients 50] [--seconds 20] [--rate 0]

Starts gunicorn the way `cxloop serve` does (2 workers × 4 threads on this 2-core machine), then runs
`--clients` client threads, each on its own keep-alive connection, posting one feedback item per request
(an NPS answer, a comment, a customer). With --rate 0 the clients post back to back (closed loop: the
server's saturation throughput and the latency at that load); with --rate N they share a fixed total
rate of N requests/s (open loop). Prints p50/p95/p99 latency and throughput, beside the same figures for
GET /api/v1/health measured the same way (the framework's floor: routing, auth-free, one trivial query).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fresh_pg_database, production_server
from ingest import setup_product

PG_DB = "cxloop_bench_latency"


def load(port: int, key: str, *, post: bool, clients: int, seconds: float, rate: float) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    counter = [0]
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def client(n: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        rng = random.Random(n)
        interval = clients / rate if rate else 0
        next_at = time.perf_counter() + rng.random() * interval
        mine = []
        while True:
            if interval:
                delay = next_at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                next_at += interval
            if time.perf_counter() >= stop_at:
                break
            with lock:
                counter[0] += 1
                k = counter[0]
            if post:
                body = json.dumps(
                    {
                        "external_id": f"lat-{n}-{k}",
                        "channel": "survey",
                        "source": "Relationship NPS",
                        "customer": {"external_id": f"c-{rng.randrange(5000)}"},
                        "occurred_at": (start + timedelta(seconds=k)).isoformat(),
                        "text": "Delivery was quick but the parcel was damaged.",
                        "answers": [{"key": "nps", "type": "nps", "value": rng.randint(0, 10)}],
                    }
                )
                headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
                t0 = time.perf_counter()
                try:
                    conn.request("POST", "/api/v1/feedback", body=body, headers=headers)
                    resp = conn.getresponse()
                    resp.read()
                    ok = resp.status == 201
                except OSError:
                    ok = False
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            else:
                t0 = time.perf_counter()
                try:
                    conn.request("GET", "/api/v1/health")
                    resp = conn.getresponse()
                    resp.read()
                    ok = resp.status == 200
                except OSError:
                    ok = False
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - t0)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {
        "n": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / elapsed,
        "p50": q[49] * 1000,
        "p95": q[94] * 1000,
        "p99": q[98] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=0, help="total requests/s (0: back to back)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cxloop-bench-"))
    env = {
        **os.environ,
        "CXLOOP_DATA_DIR": str(tmp),
        "CXLOOP_HTTPS": "false",
        "SECRET_KEY": "b" * 50,
        "CXLOOP_API_RATE_LIMIT": "100000000",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "cxloop.settings",
    }
    if args.db == "postgres":
        env["DATABASE_URL"] = fresh_pg_database(PG_DB)
    else:
        env.pop("DATABASE_URL", None)
    key = setup_product(env)
    try:
        with production_server(env) as port_number:
            mode = f"{args.rate:g} req/s total" if args.rate else "back to back"
            print(
                f"latency bench on {args.db}: {args.clients} clients, {mode}, {args.seconds:g} s each, "
                f"gunicorn 2 workers × 4 threads, {os.cpu_count()} cores (clients share the machine)"
            )
            for name, is_post in (("GET /api/v1/health (floor)", False), ("POST /api/v1/feedback", True)):
                r = load(
                    port_number, key, post=is_post, clients=args.clients, seconds=args.seconds, rate=args.rate
                )
                print(
                    f"{name:28s} n={r['n']:6d} errors={r['errors']:3d} {r['rps']:7.1f} req/s   "
                    f"p50 {r['p50']:6.1f} ms   p95 {r['p95']:6.1f} ms   p99 {r['p99']:6.1f} ms"
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
