"""Independent read queries side by side, each on its own database connection.

A dashboard page runs a dozen aggregate queries that do not depend on each other; on PostgreSQL each runs in
its own server process, and SQLite (in WAL mode) lets several connections read at once while Python's sqlite3
releases the GIL during a query. `run_all` runs the calls in up to settings.CXLOOP_QUERY_THREADS threads
(1: one after the other) and returns their results by name.

Inside a transaction (`atomic`, which is also how the tests isolate themselves) other connections cannot see
its uncommitted rows, so the calls then run one after the other on the caller's connection. Each thread
closes its connections when its call is done.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection, connections


def _in_thread(call: Callable[[], Any]) -> Any:
    try:
        return call()
    finally:
        connections.close_all()  # this thread's connections only (they are thread-local)


def run_all(calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """{name: call()} for every call, side by side when allowed (see the module's docstring). The first
    exception raised by a call is raised here."""
    threads = min(getattr(settings, "CXLOOP_QUERY_THREADS", 1), len(calls))
    if threads <= 1 or connection.in_atomic_block:
        return {name: call() for name, call in calls.items()}
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="cxloop-query") as pool:
        futures = {name: pool.submit(_in_thread, call) for name, call in calls.items()}
        return {name: future.result() for name, future in futures.items()}
