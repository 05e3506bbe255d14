"""Import of a large CSV file: time and peak memory of `cxloop import`, beside reading the same file alone.

    python bench/import_csv.py [--rows 1000000] [--db sqlite|postgres]

Writes a reviews CSV (id, date, rating, title, text, email, author; ~5% of rows with an error), runs
`cxloop import FILE --preset generic_reviews` in a child process on a fresh database, and reports its wall
time, rows/s and peak memory (the child's max RSS). The baseline is the same file parsed by Python's csv
module alone in this process (the floor for any importer in Python). Then it imports the same file again:
nothing new may be created (deduplication) and the time of that second pass is printed.
Goals (issue #4): 1,000,000 rows in < 5 minutes and < 500 MB peak.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, fresh_pg_database
from ingest import WORDS

PG_DB = "cxloop_bench_import"


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(3)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "date", "rating", "title", "text", "email", "author"])
        for i in range(rows):
            rating = rng.randint(1, 5) if rng.random() > 0.05 else 9  # 5% out of scale: reported, not stored
            writer.writerow(
                [
                    f"r-{i}",
                    (start + timedelta(seconds=30 * i)).isoformat(),
                    rating,
                    " ".join(rng.choice(WORDS) for _ in range(3)),
                    " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40))),
                    f"shopper{rng.randrange(rows // 4 + 1)}@example.com",
                    f"Shopper {i % 997}",
                ]
            )


def run_import(env: dict, path: Path) -> tuple[float, int, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cxloop.cli",
            "import",
            str(path),
            "--workspace",
            "bench",
            "--preset",
            "generic_reviews",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise SystemExit(f"import failed: {proc.stdout}\n{proc.stderr}")
    return elapsed, max(peak_kb, before), proc.stdout.strip().splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cxloop-bench-"))
    env = {
        **os.environ,
        "CXLOOP_DATA_DIR": str(tmp / "data"),
        "SECRET_KEY": "b" * 50,
        "DJANGO_SETTINGS_MODULE": "cxloop.settings",
        "LOG_LEVEL": "WARNING",
    }
    if args.db == "postgres":
        env["DATABASE_URL"] = fresh_pg_database(PG_DB)
    else:
        env.pop("DATABASE_URL", None)
    try:
        path = tmp / "reviews.csv"
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 2**20
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cxloop.cli",
                "createadmin",
                "--email",
                "bench@x.example",
                "--password",
                "bench-password-1",
                "--workspace",
                "Bench",
            ],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        t0 = time.perf_counter()
        with open(path, newline="") as fh:
            parsed = sum(1 for _ in csv.reader(fh)) - 1
        parse_s = time.perf_counter() - t0
        elapsed, peak_kb, summary = run_import(env, path)
        print(f"import bench on {args.db}: {args.rows:,} rows, {size_mb:.0f} MB CSV, {os.cpu_count()} cores")
        print(f"csv module alone (baseline): {parse_s:7.1f} s  {parsed / parse_s:10,.0f} rows/s")
        print(
            f"cxloop import:               {elapsed:7.1f} s  {args.rows / elapsed:10,.0f} rows/s   "
            f"peak {peak_kb / 1024:.0f} MB   ratio {parse_s / elapsed:.1%} of the parse-only rate"
        )
        print(f"  {summary}")
        print("  goal: < 300 s and < 500 MB for 1,000,000 rows")
        again, _, summary2 = run_import(env, path)
        print(f"re-import of the same file:  {again:7.1f} s   {summary2}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
