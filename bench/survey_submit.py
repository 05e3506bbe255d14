"""Public survey submit latency under a sustained load, beside a minimal Django view that saves one row.

    python bench/survey_submit.py [--db sqlite|postgres] [--rate 50] [--seconds 60]

Makes a fresh database with a live relationship NPS survey, starts the production server (gunicorn as
`cxloop serve` runs it), and sends the survey's first page (a score, as a respondent's browser does: form
POST with its CSRF cookie and token) at a fixed rate for the given time, each POST a new respondent. The
load is open loop: requests leave on schedule whether or not earlier ones have returned, and a latency is
counted from the moment a request was due, so a slow server cannot hide its queue. The baseline is the
smallest Django application that takes the same form POST and saves one row (bench/minimal_app.py),
served by the same gunicorn set-up on the same database, under the same load, in the same run.
Also prints the public page's weight (HTML + its two style sheets, as transferred) and the widget script's
gzipped size. Goals (issue #5): p95 < 100 ms at 50 requests/s for 60 s; page < 50 kB; widget < 15 kB.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, fresh_pg_database, production_server

PG_DB = "cxloop_bench_survey"
BASELINE_PG_DB = "cxloop_bench_minimal"


def setup_survey(env: dict) -> str:
    """Migrate, make a workspace with a live relationship NPS survey; return its slug."""
    subprocess.run(
        [sys.executable, "-m", "cxloop.cli", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    code = (
        "import django; django.setup()\n"
        "from cxloop.accounts.services import user_create, workspace_create\n"
        "from cxloop.surveys import services\n"
        "u = user_create(email='bench@x.example', password='bench-password-1')\n"
        "w = workspace_create(name='Bench', owner=u)\n"
        "s = services.survey_create(workspace=w, actor=u, name='Bench NPS', template='relationship_nps')\n"
        "print(services.survey_publish(survey=s, actor=u).slug)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def get(port: int, path: str, headers: dict | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    resp.body = resp.read()
    return resp


def form_session(port: int, slug: str) -> tuple[dict, dict]:
    """What a browser has after loading the first page: the CSRF cookie and the form's hidden fields."""
    resp = get(port, f"/s/{slug}/?start=1")
    assert resp.status == 200, resp.status
    cookie = re.search(r"csrftoken=([^;]+)", resp.getheader("Set-Cookie") or "").group(1)
    html = resp.body.decode()
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return {"Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded"}, fields


def page_weight(port: int, slug: str) -> tuple[int, int]:
    """Bytes of the public page as transferred (gzip when offered) and as HTML + CSS uncompressed."""
    accept = {"Accept-Encoding": "gzip"}
    page = get(port, f"/s/{slug}/?start=1", accept)
    html = (
        page.body.decode()
        if page.getheader("Content-Encoding") != "gzip"
        else gzip.decompress(page.body).decode()
    )
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    transferred, raw = len(page.body), len(html.encode())
    for href in sheets:
        sheet = get(port, href, accept)
        assert sheet.status == 200, (href, sheet.status)
        transferred += len(sheet.body)
        raw += len(
            gzip.decompress(sheet.body) if sheet.getheader("Content-Encoding") == "gzip" else sheet.body
        )
    return transferred, raw


def run_load(port: int, path: str, headers: dict, body_for, *, rate: float, seconds: float) -> dict:
    total = int(rate * seconds)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    local = threading.local()

    def one(i: int, due: float) -> None:
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        status = 0
        for attempt in (1, 2):  # a kept-alive connection the server has closed meanwhile: reconnect once
            reused = getattr(local, "conn", None)
            conn = reused or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            local.conn = conn
            try:
                conn.request("POST", path, body=body_for(i), headers=headers)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                local.conn = None
                if reused is None or attempt == 2:
                    break
        took = time.perf_counter() - due
        with lock:
            latencies.append(took)
            statuses[status] = statuses.get(status, 0) + 1

    start = time.perf_counter() + 0.5
    with ThreadPoolExecutor(max_workers=128) as pool:
        for i in range(total):
            pool.submit(one, i, start + i / rate)
    elapsed = time.perf_counter() - start
    q = statistics.quantiles(sorted(latencies), n=100)
    return {
        "n": total,
        "statuses": statuses,
        "rate": total / elapsed,
        "p50": q[49] * 1000,
        "p95": q[94] * 1000,
        "p99": q[98] * 1000,
    }


def show(name: str, r: dict) -> None:
    codes = ", ".join(f"{k}×{v}" for k, v in sorted(r["statuses"].items()))
    print(
        f"{name:34s} {r['rate']:5.1f} req/s   p50 {r['p50']:6.1f} ms   p95 {r['p95']:6.1f} ms   "
        f"p99 {r['p99']:6.1f} ms   answers: {codes}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cxloop-bench-"))
    env = {
        **os.environ,
        "CXLOOP_DATA_DIR": str(tmp),
        "CXLOOP_HTTPS": "false",
        "SECRET_KEY": "b" * 50,
        "CXLOOP_SURVEY_SUBMIT_RATE": "100000000",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "cxloop.settings",
    }
    if args.db == "postgres":
        env["DATABASE_URL"] = fresh_pg_database(PG_DB)
        baseline_db = fresh_pg_database(BASELINE_PG_DB)
    else:
        env.pop("DATABASE_URL", None)
        baseline_db = str(tmp / "minimal.sqlite3")
    try:
        slug = setup_survey(env)
        print(
            f"survey submit bench on {args.db}: {args.rate:g} POST/s for {args.seconds:g} s (open loop), "
            f"gunicorn 2 workers × 4 threads, {os.cpu_count()} cores shared with the load generator"
        )
        with production_server(env) as port:
            headers, fields = form_session(port, slug)
            transferred, raw = page_weight(port, slug)
            widget = get(port, "/widget.js").body
            time.sleep(2.2)  # the form's timer: a person takes a moment before sending the first page
            product = run_load(
                port,
                f"/s/{slug}/?start=1",
                headers,
                lambda i: urlencode({**fields, "nps": str(i % 11)}),
                rate=args.rate,
                seconds=args.seconds,
            )
        base_env = {**env, "CXLOOP_BENCH_DB": baseline_db, "PYTHONPATH": str(Path(__file__).parent)}
        with production_server(base_env, app="minimal_app:application", probe="/save/") as port:
            baseline = run_load(
                port,
                "/save/",
                {"Content-Type": "application/x-www-form-urlencoded"},
                lambda i: urlencode({"nps": str(i % 11), "reason": ""}),
                rate=args.rate,
                seconds=args.seconds,
            )
        show("product: POST /s/<slug>/ (first page)", product)
        show("baseline: minimal view saving 1 row", baseline)
        print(
            f"ratio p95 product / baseline: {product['p95'] / baseline['p95']:.1f}×   "
            "(goal: product p95 < 100 ms)"
        )
        print(
            f"public page weight: {transferred / 1024:.1f} kB transferred ({raw / 1024:.1f} kB uncompressed, "
            f"HTML + style sheets, no logo; goal < 50 kB)"
        )
        print(
            f"widget script: {len(gzip.compress(widget)) / 1024:.1f} kB gzipped "
            f"({len(widget) / 1024:.1f} kB raw; goal < 15 kB)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
