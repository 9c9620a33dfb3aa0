"""dictamesh.db: JSON for PostgreSQL, multi-row inserts and batches on parallel connections."""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from dictamesh.db import dumps, in_parallel, insert_rows, jsonable
from tests.conftest import wait_until

WHEN = dt.datetime(2026, 11, 26, 10, 30, 15, 123456, tzinfo=dt.UTC)
probe: contextvars.ContextVar[str] = contextvars.ContextVar("probe", default="unset")


def test_dumps_keeps_microseconds_for_columns_and_django_forms_for_payloads():
    assert dumps({"at": WHEN}) == '{"at":"2026-11-26T10:30:15.123456+00:00"}'
    assert jsonable({"at": WHEN, "n": Decimal("1.50"), 3: "x"}) == {
        "at": "2026-11-26T10:30:15.123Z",
        "n": "1.50",
        "3": "x",
    }
    assert dumps(2**70) == str(2**70)  # beyond orjson's 64 bits: the standard library takes over
    with pytest.raises(TypeError):
        dumps({1, 2})


@pytest.mark.django_db(transaction=True)
def test_batches_run_on_their_own_connections_with_the_callers_context():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE dictamesh_test_batch (n int, pid int, probe text)")
    token = probe.set("caller")
    try:

        def write(batch: list[int]) -> int:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
                insert_rows(
                    "dictamesh_test_batch",
                    {"n": "int", "pid": "int", "probe": "text"},
                    [{"n": n, "pid": pid, "probe": probe.get()} for n in batch],
                )
            return sum(batch)

        batches = [list(range(start, start + 10)) for start in range(0, 100, 10)]
        assert in_parallel(write, batches, workers=3) == [sum(b) for b in batches]  # in the batches' order
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), count(DISTINCT pid), min(probe), max(probe) FROM dictamesh_test_batch"
            )
            count, pids, low, high = cursor.fetchone()
            assert (count, low, high) == (100, "caller", "caller")
            assert pids > 1
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] not in _batch_pids(cursor)
            pids = list(_batch_pids(cursor))

            def gone() -> bool:  # every thread closed its connection; a backend ends a moment after its close
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids])
                return cursor.fetchone()[0] == 0

            assert wait_until(gone, timeout=30)
    finally:
        probe.reset(token)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE dictamesh_test_batch")


def _batch_pids(cursor) -> set[int]:
    cursor.execute("SELECT DISTINCT pid FROM dictamesh_test_batch")
    return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_the_first_failure_is_raised_and_later_batches_do_not_start():
    started: list[int] = []
    lock = threading.Lock()

    def work(n: int) -> int:
        with lock:
            started.append(n)
        if n == 0:
            raise ValueError("batch 0 is bad")
        time.sleep(0.01)  # the other worker is still busy when batch 0 fails
        return n

    with pytest.raises(ValueError, match="batch 0 is bad"):
        in_parallel(work, list(range(50)), workers=2)
    assert 0 in started
    assert len(started) < 50


@pytest.mark.django_db
def test_inside_a_transaction_batches_run_in_the_caller_thread():
    caller = threading.get_ident()
    with transaction.atomic():
        assert in_parallel(lambda b: threading.get_ident() == caller, [1, 2, 3], workers=4) == [True] * 3
