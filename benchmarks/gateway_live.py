"""The GraphQL gateway: 100 entities with their live records from two adapters, cold and warm.

    .venv/bin/python benchmarks/gateway_live.py [--queries 200] [--rounds 5] [--write docs/benchmarks.md]

Starts its own embedded PostgreSQL, Redis and Kafka unless DATABASE_URL, REDIS_URL and KAFKA_BOOTSTRAP_SERVERS
are set. Two adapter instances in one domain: ``crm`` (REST, the demo CRM API in a process of its own, 50
customers fetched by ``?ids=``) and ``warehouse`` (PostgreSQL, a database of 50 tables in the embedded
server, whose live state is read from pg_class and pg_stat_user_tables). Both are synced into the catalog.

The query: the domain's 100 entities, each with ``live { data }``. Cold: the live cache (L1 and L2) is emptied
before each query, so every query calls both sources; warm: the records are cached (the entities' TTL). The
upstream calls per cold query are counted from the adapters' own metrics (``fetch`` calls by instance).
Latencies are in process (Django test client: the full middleware, auth and GraphQL stack; the sources
over the network); each figure is the p95 of ``--queries`` requests, the reported one the median of
``--rounds`` p95s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import append_section, boot, machine, percentile, shutdown  # noqa: E402 - after sys.path

TARGET_WARM_MS = 40.0
QUERY = '{ entities(first: 100, filter: {domain: "bench"}) { nodes { urn live { data } } } }'


def _serve(port: int) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    from dictamesh.devservices.demo_source import DemoSource, demo_records

    DemoSource(demo_records(customers=50, orders=0, invoices=0), port=port).httpd.serve_forever()


def _sample_database() -> dict:
    import psycopg

    from dictamesh.db import server_params

    server = {**server_params(), "autocommit": True}
    with psycopg.connect(**server) as admin:
        admin.execute("DROP DATABASE IF EXISTS dictamesh_bench_warehouse")
        admin.execute("CREATE DATABASE dictamesh_bench_warehouse")
    with psycopg.connect(**{**server, "dbname": "dictamesh_bench_warehouse"}) as db:
        db.execute("CREATE SCHEMA wh")
        db.execute(
            "DO $$ BEGIN FOR i IN 0..49 LOOP"
            " EXECUTE format('CREATE TABLE wh.%I (id bigint PRIMARY KEY, amount numeric(12,2), at timestamptz)',"
            "   'fact_' || lpad(i::text, 2, '0'));"
            " EXECUTE format('INSERT INTO wh.%I SELECT g, g * 1.5, now() FROM generate_series(1, %s) g',"
            "   'fact_' || lpad(i::text, 2, '0'), 100 + i);"
            " END LOOP; END $$"
        )
    return {"host": server["host"], "port": int(server["port"]), "database": "dictamesh_bench_warehouse",
            "user": server["user"], "schemas": ["wh"]}  # fmt: skip


def _fetch_calls() -> dict[str, float]:
    from apps.adapters.metrics import CALLS

    counts: dict[str, float] = {}
    for metric in CALLS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count") and sample.labels.get("operation") == "fetch":
                counts[sample.labels["instance"]] = counts.get(sample.labels["instance"], 0) + sample.value
    return counts


def _forget() -> None:
    from django.core.cache import cache

    from apps.adapters import live

    cache.delete_pattern(f"{live.LIVE_CACHE.name}:*")
    live.LIVE_CACHE.clear_local()


def _p95(client, headers, queries: int, *, cold: bool) -> tuple[float, dict[str, float]]:
    latencies = []
    before = _fetch_calls()
    for _ in range(queries):
        if cold:
            _forget()
        started = time.perf_counter()
        response = client.post("/graphql", {"query": QUERY}, content_type="application/json", **headers)
        latencies.append((time.perf_counter() - started) * 1000)
        body = response.json()
        if "errors" in body or len(body["data"]["entities"]["nodes"]) != 100:
            raise SystemExit(f"unexpected answer: {str(body)[:500]}")
        if any(n["live"] is None or n["live"]["data"] is None for n in body["data"]["entities"]["nodes"]):
            raise SystemExit("an entity came without its live record")
    after = _fetch_calls()
    per_query = {k: (after.get(k, 0) - before.get(k, 0)) / queries for k in after}
    print("   latencies: median", round(statistics.median(latencies), 1), "slowest",
          [round(x, 1) for x in sorted(latencies)[-8:]], flush=True)  # fmt: skip
    return percentile(latencies, 0.95), per_query


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args()
    sup = tmp = server = None
    try:
        sup, tmp = boot(env={"DICTAMESH_PROCESS": "bench", "DICTAMESH_EMBEDDER": "hashing"})
        from django.test import Client

        from apps.adapters import services
        from apps.adapters.contracts import InstanceIn
        from apps.catalog import public as catalog
        from dictamesh.auth.services import api_token_create, user_ensure
        from dictamesh.devservices.ports import free_port

        port = free_port()
        server = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
        server.start()
        time.sleep(1)
        catalog.ensure_home(source="crm", source_kind="rest", domain="bench")
        rest = {"base_url": f"http://127.0.0.1:{port}/api", "resources": [{
            "type": "customer", "path": "customers", "items": "/customers", "key": "/id", "name": "/name",
            "pagination": {"kind": "page", "size": 50}, "fetch_many_param": "ids"}]}  # fmt: skip
        for name, kind, config in (("crm", "rest", rest), ("warehouse", "postgresql", _sample_database())):
            services.instance_create(instance=InstanceIn(name=name, kind=kind, domain="bench", config=config))
            run = services.sync_execute(run_id=services.sync_request(name=name).pk)
            print(f"{name}: {run.status}, {run.counts.get('created')} entities", flush=True)
        analyst = user_ensure(username="analyst")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=analyst, name='bench').clear}"}
        client = Client()
        _p95(client, headers, 10, cold=True)  # warm-up: imports, adapters started, connections open
        from dictamesh.core.heap import settle_heap

        settle_heap()  # as config/wsgi.py does in a web worker once it has started
        cold, warm, calls = [], [], {}
        for round_ in range(args.rounds):
            p95, calls = _p95(client, headers, args.queries, cold=True)
            cold.append(p95)
            p95, warm_calls = _p95(client, headers, args.queries, cold=False)
            warm.append(p95)
            print(f"round {round_ + 1}: cold p95 {cold[-1]:.1f} ms ({calls}), warm p95 {warm[-1]:.1f} ms "
                  f"({warm_calls})", flush=True)  # fmt: skip
        cold_p95, warm_p95 = statistics.median(cold), statistics.median(warm)
        print(f"cold p95 {cold_p95:.1f} ms, warm p95 {warm_p95:.1f} ms (target ≤ {TARGET_WARM_MS:.0f} ms); "
              f"upstream calls per cold query: {calls}")  # fmt: skip
        if args.write:
            runs = lambda values: ", ".join(f"{v:.1f}" for v in values)  # noqa: E731
            upstream = ", ".join(f"{k} {v:g}" for k, v in sorted(calls.items()))
            rows = [
                "| measure | median | target | ratio | rounds |",
                "|---|---|---|---|---|",
                f"| 100 entities with live records from 2 adapters, cold (p95) | {cold_p95:.1f} ms | — | — "
                f"| {runs(cold)} |",
                f"| the same, warm: records cached (p95) | {warm_p95:.1f} ms | ≤ {TARGET_WARM_MS:.0f} ms "
                f"| {TARGET_WARM_MS / warm_p95:.2f}× | {runs(warm)} |",
                f"| upstream calls per cold query | {upstream} | one per adapter | — | |",
            ]  # fmt: skip
            section = (
                f"\n## GraphQL gateway (live data) — {datetime.now(UTC):%Y-%m-%d}\n\n{machine()}.\n\n"
                f"Command: `.venv/bin/python benchmarks/gateway_live.py --queries {args.queries} "
                f"--rounds {args.rounds} --write docs/benchmarks.md`\n\n" + "\n".join(rows) + "\n"
            )
            append_section(args.write, section)
    finally:
        if server is not None:
            server.terminate()
        shutdown(sup, tmp)


if __name__ == "__main__":
    main()
