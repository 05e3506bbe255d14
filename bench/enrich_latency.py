"""How soon a new item is read, and the worker's memory: the path a single piece of feedback takes.

    python bench/enrich_latency.py [--items 100] [--gap 0.5] [--database sqlite|postgres]

A scratch data folder (SQLite) or a fresh PostgreSQL database; the workspace gets the online-retail taxonomy;
`cxloop worker` runs as its own process, as `cxloop demo` starts it. After a warm-up item (the worker loads
its models on first use), items are stored one at a time, `--gap` seconds apart, the way the API stores one
(feedback_ingest, the reading queued when the transaction commits). For each item the time from its commit
to its Enrichment being done is measured by polling the database every 10 ms. Printed: p50 / p95 / max
latency, the worker's peak memory (VmHWM of its process tree), and the goal (one new item read < 1 s p95
after it is stored; worker peak memory < 1.5 GB).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import fresh_pg_database  # noqa: E402

TEXTS = [
    "My parcel arrived two weeks late and the box was crushed.",
    "Lovely dress, fits perfectly. Thank you!",
    "The courier left my order in the rain and it was soaked.",
    "Support closed my ticket without fixing anything.",
    "The app keeps crashing at checkout, I could not pay.",
]


def peak_mb(pid: int) -> float:
    """VmHWM of a process and its children (the worker may fork), in MB."""
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between two new items")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="cxloop-latency-")
    env = {**os.environ, "CXLOOP_DATA_DIR": data_dir}
    env.pop("DATABASE_URL", None)
    if args.database == "postgres":
        env["DATABASE_URL"] = fresh_pg_database("cxloop_bench_latency")
    os.environ.update(env)
    if args.database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "cxloop.cli", "migrate"], env=env, check=True, cwd=ROOT)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxloop.settings")
    import django

    django.setup()
    from django.db import transaction

    from cxloop.accounts.models import User
    from cxloop.accounts.services import workspace_create
    from cxloop.analysis.models import Enrichment
    from cxloop.analysis.services import taxonomy_from_template
    from cxloop.feedback.schemas import FeedbackIn
    from cxloop.feedback.services import feedback_ingest

    owner = User.objects.create_user(email="bench@example.com", password="x" * 20)
    workspace = workspace_create(name="Latency bench", owner=owner)
    taxonomy_from_template(workspace=workspace, template="online_retail")

    worker = subprocess.Popen(
        [sys.executable, "-m", "cxloop.cli", "worker", "--interval", "0.5"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip

    def store(number: int) -> tuple[int, float]:
        with transaction.atomic():
            ((item, _),) = feedback_ingest(
                workspace=workspace,
                items=[
                    FeedbackIn(
                        external_id=f"lat-{number}",
                        channel="email",
                        occurred_at=datetime.now(UTC),
                        text=TEXTS[number % len(TEXTS)] + f" (order {number})",
                    )
                ],
            )
        return item.pk, time.perf_counter()  # the reading is queued at commit

    def wait_read(item_id: int, timeout: float = 120) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if Enrichment.objects.filter(item_id=item_id, status="done").exists():
                return time.perf_counter()
            if worker.poll() is not None:
                raise SystemExit("the worker stopped: " + worker.stderr.read().decode()[-2000:])
            time.sleep(0.01)
        raise SystemExit(f"item {item_id} was not read within {timeout} s")

    try:
        started = time.perf_counter()
        item_id, stored = store(0)
        wait_read(item_id, timeout=300)
        print(f"warm-up item read {time.perf_counter() - stored:.1f} s after it was stored "
              f"(worker start and model load included; {time.perf_counter() - started:.1f} s)")  # fmt: skip
        latencies = []
        for n in range(1, args.items + 1):
            item_id, stored = store(n)
            latencies.append(wait_read(item_id) - stored)
            time.sleep(max(0.0, args.gap - latencies[-1]))
        memory = peak_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(f"\n{len(latencies)} items on {args.database}, one every {args.gap} s; worker polls every 0.5 s")
    print(f"latency from commit to read: p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")  # fmt: skip
    print(f"worker peak memory: {memory:.0f} MB")
    print(f"goals: p95 < 1 s: {'met' if p95 < 1 else 'NOT met'}; "
          f"worker < 1.5 GB: {'met' if memory < 1536 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
