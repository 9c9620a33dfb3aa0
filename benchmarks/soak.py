"""Soak: the production roles under a fixed mixed load for minutes, watched for errors, drift and growth.

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--rate 40] [--clients 4] [--write docs/benchmarks.md]

Starts its own embedded PostgreSQL, Redis and Kafka, then DictaMesh as it is deployed: the web role (Granian,
2 workers of 4 threads), a Celery worker (2 processes), the outbox relay and every consumer. ``--clients``
keep-alive clients send ``--rate`` requests a second in all, in a fixed mix: entity reads by URN (REST and
GraphQL), entity writes (each a new version, an event, an in-app notification), full-text search, schemas
by id from the registry, and OpenLineage events. Every ``--sample`` seconds it records each process's
resident memory, the outbox backlog and each consumer's lag (events published to its topics that it has
not handled yet).

It reports, per minute, requests, 5xx answers and the p95 latency; the error lines the processes logged;
the growth of each process's resident memory from the first sample to the last; the largest outbox
backlog and consumer lag. ``--warmup`` seconds of the same load come first, unmeasured: the processes import,
connect, join their groups and fill their caches. Exits non-zero on any 4xx, 5xx or error line.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import math
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import append_section, boot, machine, percentile, shutdown  # noqa: E402
from benchmarks.loadgen import start_server, stop_server  # noqa: E402

ENTITIES = 200
MIX = ["read", "graphql", "read", "write", "search", "registry", "lineage", "graphql", "read", "write"]
SCHEMA = '{"type":"record","name":"Soak","fields":[{"name":"id","type":"long"}]}'
ERROR_MARKS = ('"level": "ERROR"', '"level": "CRITICAL"', "Traceback (most recent call last)")


def _seed() -> str:
    """Entities, a steward and its token, an in-app subscription to entity changes; returns the token."""
    from apps.catalog import services as catalog
    from apps.notifications.models import Subscription
    from config.events import REGISTRY
    from dictamesh.auth.services import api_token_create, user_ensure
    from dictamesh.events.admin_ops import sync_topics

    sync_topics(REGISTRY.topics)
    catalog.domain_create(name="sales")
    catalog.source_create(name="crm", kind="postgres")
    catalog.entities_upsert(
        items=[
            {"source": "crm", "type": "table", "source_key": f"orders_{i}", "name": f"orders {i}",
             "domain": "sales", "description": f"order lines of region {i % 17}"}
            for i in range(ENTITIES)
        ]
    )  # fmt: skip
    steward = user_ensure(username="soak-steward", superuser=True)
    subscription, _ = Subscription.objects.update_or_create(
        name="soak", defaults={"event_types": ["dictamesh.catalog.entity.*"], "channel": "inapp"}
    )
    subscription.users.add(steward)
    return api_token_create(user=steward, name="soak").clear


def _request(n: int, schema_id: int) -> tuple[str, str, bytes | None]:
    kind = MIX[n % len(MIX)]
    urn = f"dm:crm:table:orders_{n * 7919 % ENTITIES}"
    if kind == "read":
        return "GET", f"/api/v1/catalog/entities/{urn}", None
    if kind == "write":
        return "PATCH", f"/api/v1/catalog/entities/{urn}", orjson.dumps({"description": f"soak write {n}"})
    if kind == "graphql":
        query = '{ entity(urn: "%s") { urn name owners { principal role } tags } }' % urn  # noqa: UP031 - GraphQL braces
        return "POST", "/graphql", orjson.dumps({"query": query})
    if kind == "search":
        return "GET", f"/api/v1/catalog/search?q=region%20{n % 17}&limit=10", None
    if kind == "registry":
        return "GET", f"/schema-registry/schemas/ids/{schema_id}", None
    event = {
        "eventType": "COMPLETE", "eventTime": datetime.now(UTC).isoformat(),
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/airflow",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4()), "facets": {}},
        "job": {"namespace": "soak", "name": f"job_{n % 50}", "facets": {}},
        "inputs": [{"namespace": "crm", "name": f"orders_{n % 40}", "facets": {}}],
        "outputs": [{"namespace": "dw", "name": f"fact_{n % 40}", "facets": {}}],
    }  # fmt: skip
    return "POST", "/api/v1/lineage", orjson.dumps(event)


class Client(threading.Thread):
    def __init__(self, port, token, counter, interval, deadline, started, log, schema_id):
        super().__init__(daemon=True)
        self.port, self.token, self.counter, self.interval = port, token, counter, interval
        self.deadline, self.started, self.log, self.schema_id = deadline, started, log, schema_id

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        due = time.monotonic()
        while (now := time.monotonic()) < self.deadline:
            if due > now:
                time.sleep(due - now)  # a fixed rate, not as fast as possible
            due += self.interval
            n = next(self.counter)
            method, path, body = _request(n, self.schema_id)
            began = time.monotonic()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
            except OSError as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                status, payload = 599, str(exc).encode()
            self.log.append((began - self.started, time.monotonic() - began, status, MIX[n % len(MIX)]))
            if status >= 400 and len([e for e in self.log if e[2] >= 400]) <= 5:
                print(f"  {method} {path}: {status} {payload[:300]!r}", flush=True)


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _backlogs(since: datetime) -> tuple[int, dict[str, int]]:
    from django.db import connection

    from config.events import REGISTRY

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM dictamesh_events_outbox WHERE sent_at IS NULL")
        outbox = cursor.fetchone()[0]
        lags = {}
        for spec in REGISTRY.consumers:
            cursor.execute(
                "SELECT count(*) FROM dictamesh_events_outbox o WHERE o.sent_at IS NOT NULL AND o.created_at >= %s"
                " AND o.topic = ANY(%s) AND NOT EXISTS (SELECT 1 FROM dictamesh_events_processed p"
                " WHERE p.consumer = %s AND p.event_id = o.event_id::text)",
                [since, list(spec.topics), spec.name],
            )
            lags[spec.name] = cursor.fetchone()[0]
    return outbox, lags


def main() -> None:  # noqa: C901, PLR0915 - one script, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=40.0, help="requests a second, all clients together")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between memory and lag samples")
    parser.add_argument(
        "--warmup", type=float, default=60.0, help="seconds of load before the measured run (imports, caches)"
    )
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args()
    sup = tmp = server = None
    processes: dict[str, subprocess.Popen] = {}
    try:
        sup, tmp = boot(env={"DICTAMESH_PROCESS": "bench", "DICTAMESH_NOTIFY_RATE_PER_MINUTE": "0"})
        token = _seed()
        logs = Path(tmp) / "logs"
        logs.mkdir()
        os.environ["DICTAMESH_BENCH_SERVER_LOG"] = str(logs / "web.log")
        server, port = start_server(workers=2, threads=4)
        processes["web"] = server
        python, env = sys.executable, {**os.environ, "DICTAMESH_PROCESS": "bench"}
        commands = {
            "worker": [str(Path(python).parent / "celery"), "-A", "config", "worker", "-c", "2", "-l", "WARNING"],
            "relay": [python, "manage.py", "run_outbox_relay"],
            "consumers": [python, "manage.py", "run_consumers"],
        }  # fmt: skip
        for role, argv in commands.items():
            processes[role] = subprocess.Popen(  # noqa: S603 - our own roles
                argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(logs / f"{role}.log").open("wb")
            )
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/schema-registry/subjects/soak-value/versions", body=orjson.dumps({"schema": SCHEMA}),
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})  # fmt: skip
        schema_id = orjson.loads(conn.getresponse().read())["id"]

        counter = itertools.count()
        warm: list[tuple[float, float, int, str]] = []
        warmup_end = time.monotonic() + args.warmup  # every process imports, connects, joins, fills caches
        clients = [
            Client(
                port, token, counter, args.clients / args.rate, warmup_end, time.monotonic(), warm, schema_id
            )
            for _ in range(args.clients)
        ]
        for client in clients:
            client.start()
        for client in clients:
            client.join(60)
        since = datetime.now(UTC)
        started = time.monotonic()
        deadline = started + args.minutes * 60
        log: list[tuple[float, float, int, str]] = []
        clients = [
            Client(port, token, counter, args.clients / args.rate, deadline, started, log, schema_id)
            for _ in range(args.clients)
        ]
        for client in clients:
            client.start()
        samples: list[tuple[float, dict[tuple[str, int], float], int, dict[str, int]]] = []
        while time.monotonic() < deadline:
            rss = {}
            for role, process in processes.items():
                assert process.poll() is None, f"{role} exited with {process.returncode}"
                for pid in _tree(process.pid):
                    if (mb := _rss_mb(pid)) is not None:
                        rss[(role, pid)] = mb
            outbox, lags = _backlogs(since)
            samples.append((time.monotonic() - started, rss, outbox, lags))
            time.sleep(min(args.sample, max(0.0, deadline - time.monotonic())))
        for client in clients:
            client.join(60)
        time.sleep(args.sample)  # let the last events through before the final lag sample
        samples.append((time.monotonic() - started, samples[-1][1], *_backlogs(since)))

        minutes: dict[int, list[tuple[float, int]]] = {}
        last_minute = max(
            0, math.ceil(args.minutes) - 1
        )  # requests sent at the deadline count in the last one
        for at, seconds, status, _kind in log:
            minutes.setdefault(min(int(at // 60), last_minute), []).append((seconds * 1000, status))
        errors = 0
        for name in sorted(p.name for p in logs.iterdir()):
            text = (logs / name).read_text(errors="replace")
            found = [line for line in text.splitlines() if any(mark in line for mark in ERROR_MARKS)]
            errors += len(found)
            for line in found[:3]:
                print(f"  {name}: {line[:300]}")
        five = sum(1 for *_, status, _ in log if status >= 500)
        other = sum(1 for *_, status, _ in log if 400 <= status < 500)
        print(
            f"{len(log)} requests in {args.minutes:g} min: {five} 5xx, {other} 4xx, {errors} error log line(s)"
        )
        p95s = []
        for minute, entries in sorted(minutes.items()):
            p95 = percentile([ms for ms, _ in entries], 0.95)
            p95s.append(p95)
            bad = sum(1 for _, status in entries if status >= 500)
            print(f"  minute {minute + 1}: {len(entries)} requests, {bad} 5xx, p95 {p95:.1f} ms")
        first, last = samples[0][1], samples[-1][1]
        growth = {key: last[key] - first[key] for key in first if key in last}
        for (role, pid), mb in sorted(growth.items()):
            print(f"  {role} pid {pid}: {first[(role, pid)]:.0f} → {last[(role, pid)]:.0f} MB ({mb:+.1f} MB)")
        max_outbox = max(s[2] for s in samples)
        max_lag = max((max(s[3].values(), default=0) for s in samples), default=0)
        final_lag = max(samples[-1][3].values(), default=0)
        print(f"  outbox backlog max {max_outbox}; consumer lag max {max_lag}, at the end {final_lag}")
        if args.write:
            worst = max(growth.items(), key=lambda item: item[1]) if growth else (("-", 0), 0.0)
            rows = [
                f"| requests | {len(log):,} | {args.rate:g}/s fixed |",
                f"| 5xx answers | {five} | 0 |",
                f"| 4xx answers | {other} | 0 |",
                f"| error log lines | {errors} | 0 |",
                f"| p95, first minute → last minute | {p95s[0]:.1f} → {p95s[-1]:.1f} ms | steady |",
                f"| p95, each minute | {', '.join(f'{p:.0f}' for p in p95s)} ms | |",
                f"| resident memory growth, largest | {worst[1]:+.1f} MB ({worst[0][0]} pid {worst[0][1]}) | flat |",
                "| resident memory growth, each process | "
                + ", ".join(f"{role} {mb:+.1f}" for (role, _pid), mb in sorted(growth.items()))
                + " MB | flat |",
                f"| outbox backlog, largest sample | {max_outbox} | bounded |",
                f"| consumer lag, largest sample / at the end | {max_lag} / {final_lag} | bounded |",
            ]
            section = (
                f"\n## Soak — {datetime.now(UTC):%Y-%m-%d}\n\n{machine()}.\n\n"
                f"`.venv/bin/python benchmarks/soak.py --minutes {args.minutes:g} --rate {args.rate:g} "
                f"--clients {args.clients} --warmup {args.warmup:g}`: web (Granian, 2 workers × 4 threads), "
                "a Celery worker (2 processes), "
                "the relay and every consumer; a fixed mix of entity reads and writes, GraphQL, search, the "
                "registry and OpenLineage events.\n\n"
                "| measure | value | target |\n|---|---|---|\n" + "\n".join(rows) + "\n"
            )
            append_section(args.write, section)
        if five or other or errors or any(status >= 400 for _, _, status, _ in warm):
            raise SystemExit(1)
    finally:
        for process in processes.values():
            if process is not server and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            if process is not server:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
        if server is not None:
            stop_server(server)
        shutdown(sup, tmp)


if __name__ == "__main__":
    main()
