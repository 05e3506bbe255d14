"""What the bench programs share: a fresh PostgreSQL database, a free port, the production server."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("CXLOOP_BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")


def fresh_pg_database(name: str) -> str:
    """Drop and create database `name` on the bench PostgreSQL server; return its URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def django_in_process(db: str, pg_name: str) -> Path:
    """Set up Django in this process on a scratch data folder: SQLite there (`db` "sqlite") or a fresh
    PostgreSQL database `pg_name` ("postgres"). Returns the folder (the caller removes it)."""
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="cxloop-bench-"))
    os.environ.update(
        {
            "CXLOOP_DATA_DIR": str(tmp),
            "CXLOOP_HTTPS": "false",
            "SECRET_KEY": "b" * 50,
            "ALLOWED_HOSTS": "testserver",
            "DJANGO_SETTINGS_MODULE": "cxloop.settings",
            "LOG_LEVEL": "WARNING",
        }
    )
    if db == "postgres":
        os.environ["DATABASE_URL"] = fresh_pg_database(pg_name)
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    return tmp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def production_server(
    env: dict, *, threads: int = 4, workers: int = 2, app: str = "cxloop.wsgi:application", probe: str = ""
) -> Iterator[int]:
    """gunicorn as `cxloop serve` runs it, on a free loopback port; yields the port once it answers.
    `app` serves another WSGI application the same way (a bench's baseline); `probe` is the path asked
    to know it is up (default /api/v1/health)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
         "--timeout", "300", "--backlog", "2048", "--no-control-socket",
         "--error-logfile", "-", "--log-level", "warning"],
        env=env, cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(150):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", probe or "/api/v1/health")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start")
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
