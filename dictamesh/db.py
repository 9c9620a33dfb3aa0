"""Fast multi-row inserts: one JSON document, expanded by PostgreSQL's ``jsonb_to_recordset``.

Django's bulk_create sends one array per column (``UNNEST``); psycopg escapes every element of a text
array in Python, which for JSON payloads costs more than the insert itself. Here the rows travel as one
JSON value that PostgreSQL parses: about five times faster for event and history rows.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import orjson
import psycopg
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, connections

T = TypeVar("T")
R = TypeVar("R")

_DJANGO = DjangoJSONEncoder()


def dumps(value: Any, *, django_datetimes: bool = False) -> str:
    """JSON text of ``value``, with orjson (about 15 times faster than the standard library here).

    Datetimes are RFC 3339 with microseconds (what timestamptz columns keep), or, with ``django_datetimes``,
    as DjangoJSONEncoder writes them (milliseconds, ``Z``): the form events and histories show. Other types
    (decimals, lazy strings, durations) go through DjangoJSONEncoder; what orjson refuses (integers beyond
    64 bits) falls back to the standard library.
    """
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_PASSTHROUGH_DATETIME if django_datetimes else 0)
    try:
        return orjson.dumps(value, default=_DJANGO.default, option=option).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, cls=DjangoJSONEncoder, separators=(",", ":"))


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON values (datetimes, decimals, UUIDs as DjangoJSONEncoder writes them)."""
    if value is None:
        return None
    return orjson.loads(dumps(value, django_datetimes=True))


def _execute(
    sql: str, params: Sequence[Any] | Mapping[str, Any], *, fetch: bool = False, prepare: bool = False
) -> tuple[list[tuple], int]:
    """Run ``sql`` with ``params`` bound on the server: Django's client-side binding would escape megabytes
    of JSON in Python first. Same connection, same transaction, same execute wrappers. ``prepare``: a
    server-side prepared statement, parsed and planned once per connection (for statements of fixed text
    run many times: parsing and planning a CTE costs more than running it on a few rows); ignored when
    ``DICTAMESH_DB_PREPARE`` is off."""
    with connection.cursor() as wrapper:

        def run(sql, params, many, context):
            with psycopg.Cursor(connection.connection) as cursor:
                cursor.execute(sql, params, prepare=prepare or None)
                return (
                    cursor.fetchall() if fetch and cursor.description is not None else []
                ), cursor.rowcount

        for wrap in reversed(connection.execute_wrappers):
            run = functools.partial(wrap, run)
        bound = params if isinstance(params, Mapping) else list(params)
        return run(sql, bound, False, {"connection": connection, "cursor": wrapper})


def execute_prepared(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> list[tuple]:
    """The rows of a hot statement of fixed text (a request path's), bound and prepared on the server: see
    ``_execute``. Parameters are typed as psycopg binds them (cast where PostgreSQL cannot infer a type)."""
    return _execute(sql, params, fetch=True, prepare=True)[0]


def execute_json(sql: str, payload: str, *, prepare: bool = False) -> list[tuple]:
    """Rows of ``sql`` run with one JSON text ``payload`` (its single ``%s``), bound on the server (and
    prepared: see ``_execute``)."""
    return _execute(sql, [payload], fetch=True, prepare=prepare)[0]


def insert_rows(
    table: str, columns: dict[str, str], rows: list[dict[str, Any]], *, returning: str | None = None
) -> list[tuple]:
    """INSERT ``rows`` (dicts keyed by column) into ``table``; ``columns`` maps each column to its SQL type."""
    if not rows:
        return []
    names = ", ".join(f'"{name}"' for name in columns)
    record = ", ".join(f'"{name}" {sql_type}' for name, sql_type in columns.items())
    sql = f"INSERT INTO {table} ({names}) SELECT {names} FROM jsonb_to_recordset(%s::jsonb) AS r({record})"  # noqa: S608 - identifiers are the caller's constants
    if returning:
        sql += f" RETURNING {returning}"
    return _execute(sql, [dumps(rows)], fetch=bool(returning), prepare=True)[0]


def update_rows(table: str, key: str, columns: dict[str, str], rows: list[dict[str, Any]]) -> int:
    """UPDATE ``table`` from ``rows`` matched on ``key`` (which ``columns`` must include, with its type)."""
    if not rows:
        return 0
    record = ", ".join(f'"{name}" {sql_type}' for name, sql_type in columns.items())
    assignments = ", ".join(f'"{name}" = r."{name}"' for name in columns if name != key)
    sql = (
        f"UPDATE {table} AS t SET {assignments} FROM jsonb_to_recordset(%s::jsonb) AS r({record})"  # noqa: S608 - identifiers are the caller's constants
        f' WHERE t."{key}" = r."{key}"'
    )
    return _execute(sql, [dumps(rows)], prepare=True)[1]


def insert_rows_into(
    tables: dict[str, list[str] | dict[str, str]],
    columns: dict[str, str],
    rows: list[dict[str, Any]],
    *,
    notify: str | None = None,
) -> None:
    """INSERT the same ``rows`` into several tables in one statement: the JSON is sent and parsed once (the
    outbox and the event log share most of their columns). ``tables[t]`` lists the columns table ``t`` takes
    from the rows, or maps each of its columns to an SQL expression over the row ``r``. ``notify`` sends a
    NOTIFY on that channel from the same statement (PostgreSQL delivers it at commit). The statement is
    prepared (its text depends only on the call site)."""
    if not rows:
        return
    record = ", ".join(f'"{name}" {sql_type}' for name, sql_type in columns.items())
    inserts = []
    for table, cols in tables.items():
        exprs = cols if isinstance(cols, dict) else {c: f'r."{c}"' for c in cols}
        quoted = ", ".join(f'"{c}"' for c in exprs)
        inserts.append(f"INSERT INTO {table} ({quoted}) SELECT {', '.join(exprs.values())} FROM r")  # noqa: S608 - constants
    ctes = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(inserts[:-1]))
    last = inserts[-1]
    if notify is not None:  # NOTIFY in the same statement: delivered at commit, dropped on rollback
        if not notify.isidentifier():
            raise ValueError(f"not a channel name: {notify!r}")
        ctes += (", " if ctes else "") + f"n AS MATERIALIZED (SELECT pg_notify('{notify}', ''))"
        last = last.removesuffix(" FROM r") + " FROM r CROSS JOIN n"
    sql = f"WITH r AS MATERIALIZED (SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r({record}))"  # noqa: S608
    sql += (", " + ctes if ctes else "") + " " + last
    _execute(sql, [dumps(rows)], prepare=True)


def in_parallel(fn: Callable[[T], R], batches: Sequence[T], *, workers: int) -> list[R]:
    """``[fn(b) for b in batches]``, on up to ``workers`` threads, each with its own database connection.

    For bulk writes whose batches are independent transactions: while one thread waits on PostgreSQL, another
    prepares its rows (psycopg releases the GIL while it waits). Runs in the calling thread when there is one
    batch, one worker, or an open transaction (a new connection would not see its uncommitted rows).
    Context variables (actor, trace) are copied into every thread. The first exception is re-raised once all
    threads have stopped; batches not yet started are skipped.
    """
    workers = min(workers, len(batches))
    if workers <= 1 or connection.in_atomic_block:
        return [fn(batch) for batch in batches]
    results: list[Any] = [None] * len(batches)
    errors: list[BaseException] = []
    next_index = itertools.count()
    context = contextvars.copy_context()

    def work() -> None:
        try:
            while not errors and (i := next(next_index)) < len(batches):
                try:
                    results[i] = fn(batches[i])
                except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                    errors.append(exc)
        finally:
            connections.close_all()  # this thread's connections

    threads = [
        threading.Thread(target=context.copy().run, args=(work,), name=f"dictamesh-batch-{n}", daemon=True)
        for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def server_params(dbname: str | None = None) -> dict[str, Any]:
    """psycopg's connection arguments for the default database's server (``dbname``: another database on it):
    what the demo and the tests use to make databases of their own next to DictaMesh's."""
    from django.db import connection

    params = connection.settings_dict
    return {
        "host": params["HOST"], "port": int(params["PORT"] or 5432), "user": params["USER"],
        "password": params["PASSWORD"] or None, "dbname": dbname or params["NAME"],
    }  # fmt: skip
