"""Independent queries side by side (cxloop/core/parallel.py)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from cxloop.core.parallel import run_all


def test_calls_run_in_other_threads_outside_a_transaction(settings):
    settings.CXLOOP_QUERY_THREADS = 4
    main = threading.get_ident()
    got = run_all({n: (lambda n=n: (n * 2, threading.get_ident())) for n in range(6)})
    assert [v for v, _ in got.values()] == [0, 2, 4, 6, 8, 10]
    assert all(ident != main for _, ident in got.values())


def test_one_thread_or_a_transaction_runs_them_in_order_here(settings, db):
    settings.CXLOOP_QUERY_THREADS = 1
    main, order = threading.get_ident(), []
    run_all({n: (lambda n=n: order.append((n, threading.get_ident()))) for n in range(3)})
    assert order == [(0, main), (1, main), (2, main)]
    settings.CXLOOP_QUERY_THREADS = 4
    with transaction.atomic():  # other connections would not see this transaction's rows
        got = run_all({"a": threading.get_ident, "b": threading.get_ident})
    assert set(got.values()) == {main}


def test_the_first_error_is_raised(settings):
    settings.CXLOOP_QUERY_THREADS = 2

    def boom():
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        run_all({"ok": lambda: 1, "bad": boom})


@pytest.mark.skipif(connection.vendor == "sqlite", reason="the test database is in memory: one connection")
@pytest.mark.django_db(transaction=True)
def test_each_thread_reads_committed_rows_and_closes_its_connection(settings, cast):
    from cxloop.accounts.models import Workspace

    settings.CXLOOP_QUERY_THREADS = 3
    got = run_all({n: (lambda: Workspace.objects.filter(name="Acme").count()) for n in range(5)})
    assert list(got.values()) == [1] * 5
