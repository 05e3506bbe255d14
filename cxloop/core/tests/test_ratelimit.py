"""Fixed-window counters in the database: counting, windows, peeking, and concurrent hits."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from cxloop.core import ratelimit
from cxloop.core.models import RateCounter

WINDOW = 60
T0 = 1_800_000_000.0  # a window start: divisible by WINDOW


def hit(key="k", now=T0, limit=3):
    return ratelimit.hit(key, limit=limit, window_seconds=WINDOW, now=now)


def test_each_hit_counts_one_more(db):
    assert [hit().count for _ in range(4)] == [1, 2, 3, 4]


def test_limit_is_exceeded_only_after_the_limit_is_reached(db):
    states = [hit(limit=3) for _ in range(4)]
    assert [s.exceeded for s in states] == [False, False, False, True]


def test_a_new_window_starts_from_zero(db):
    hit(now=T0)
    hit(now=T0 + WINDOW - 1)
    assert hit(now=T0 + WINDOW).count == 1
    assert hit(now=T0 + WINDOW + 30).count == 2


def test_retry_after_is_the_time_left_in_the_window(db):
    assert hit(now=T0).retry_after == WINDOW
    assert hit(now=T0 + 45).retry_after == 15
    assert hit(now=T0 + WINDOW - 0.5).retry_after == 1  # never 0: the client must wait


def test_peek_reads_without_counting(db):
    assert ratelimit.peek("k", limit=3, window_seconds=WINDOW, now=T0).count == 0
    hit()
    hit()
    for _ in range(3):
        assert ratelimit.peek("k", limit=3, window_seconds=WINDOW, now=T0 + 1).count == 2
    assert hit().count == 3


def test_peek_sees_only_the_current_window(db):
    hit(now=T0)
    assert ratelimit.peek("k", limit=3, window_seconds=WINDOW, now=T0 + WINDOW).count == 0


def test_keys_are_counted_separately(db):
    hit("login:acct:a@example.com")
    hit("login:acct:a@example.com")
    assert hit("login:acct:b@example.com").count == 1
    assert hit("login:ip:192.0.2.1").count == 1


def test_reset_forgets_a_key_in_every_window(db):
    hit("a", now=T0)
    hit("a", now=T0 + WINDOW)
    hit("b", now=T0)
    ratelimit.reset("a")
    assert ratelimit.peek("a", limit=3, window_seconds=WINDOW, now=T0).count == 0
    assert ratelimit.peek("a", limit=3, window_seconds=WINDOW, now=T0 + WINDOW).count == 0
    assert ratelimit.peek("b", limit=3, window_seconds=WINDOW, now=T0).count == 1


def test_very_long_keys_are_cut_consistently(db):
    long_key = "x" * 500
    hit(long_key)
    assert hit(long_key).count == 2
    assert ratelimit.peek(long_key, limit=3, window_seconds=WINDOW, now=T0).count == 2


def test_prune_removes_old_windows_only(db):
    import time

    now = time.time()
    hit("old", now=now - 2 * 24 * 3600)
    hit("recent", now=now)
    assert ratelimit.prune() == 1
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["recent"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_each_get_their_own_count():
    """The upsert is one atomic statement: hits from parallel workers are never lost or counted twice."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("an in-memory SQLite database is not shared safely between threads")
    threads, per_thread = 8, 25
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(threads)
    lock = threading.Lock()

    def worker():
        from django.db import connection as thread_connection

        try:
            start.wait()
            mine = [hit("shared", limit=1000).count for _ in range(per_thread)]
            with lock:
                counts.extend(mine)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            thread_connection.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    assert errors == []
    assert sorted(counts) == list(range(1, threads * per_thread + 1))
    assert RateCounter.objects.get(key="shared").count == threads * per_thread


def test_counts_returned_by_one_worker_increase(db):
    counts = [hit("seq", limit=100).count for _ in range(20)]
    assert counts == sorted(counts)
    assert len(set(counts)) == len(counts)
