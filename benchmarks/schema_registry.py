"""The schema registry over HTTP: registrations, lookups, reads by id and compatibility checks per second.

    .venv/bin/python benchmarks/schema_registry.py [--seconds 5] [--runs 5] [--clients 8] [--write docs/benchmarks.md]

Starts embedded PostgreSQL, Redis and Kafka (or uses DATABASE_URL, REDIS_URL, KAFKA_BOOTSTRAP_SERVERS), then
DictaMesh served as its web role is (``config.wsgi`` under Granian, production-like: DEBUG off) on a free port.
The load comes from ``--clients`` threads of this process over keep-alive HTTP connections, authenticated as
Kafka clients are (HTTP Basic ``username:token``), on the same 2 cores as the server: each figure is requests
per second over ``--seconds``, the median of ``--runs`` runs. Each read (lookup, by id, compatibility) is
also measured on a second server of the same code with its decision points passing everything through
(``benchmarks.ungoverned``): governance's overhead on it.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import append_section, boot, machine, shutdown  # noqa: E402
from benchmarks.loadgen import Load, start_server, stop_server  # noqa: E402

TARGETS = {  # name: (label, target req/s)
    "register": ("register a new schema (POST /subjects/{s}/versions)", 300.0),
    "lookup": ("look a schema up (POST /subjects/{s})", 3000.0),
    "get_by_id": ("schema by id (GET /schemas/ids/{id})", 3000.0),
    "compatibility": ("compatibility check (POST /compatibility/.../versions/latest)", 2500.0),
}
READS = ("lookup", "get_by_id", "compatibility")  # also measured without governance: its overhead
PREFIX = "/schema-registry"


def avro(name: str, extra_fields: int = 0) -> str:
    fields = [{"name": "id", "type": "long"}, {"name": "amount", "type": "double"}]
    fields += [{"name": f"f{i}", "type": "string", "default": ""} for i in range(extra_fields)]
    return json.dumps({"type": "record", "name": name, "namespace": "bench", "fields": fields})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per server worker")
    parser.add_argument("--only", choices=list(TARGETS), help="measure this request alone (profiling)")
    parser.add_argument("--write", help="append the result to this Markdown file")
    args = parser.parse_args()

    sup = tmp = server = baseline_server = None
    try:
        sup, tmp = boot(env={"DJANGO_DEBUG": "false", "DICTAMESH_PROCESS": "bench"})
        from dictamesh.auth.services import api_token_create, user_ensure

        user = user_ensure(username="bench-producer")
        token = api_token_create(user=user, name="bench").clear
        auth = "Basic " + base64.b64encode(f"{user.username}:{token}".encode()).decode()

        server, port = start_server(workers=args.workers, threads=args.threads)
        load = Load(
            port, auth, args.clients, prefix=PREFIX, content_type="application/vnd.schemaregistry.v1+json"
        )
        # the same server with its decision points passing everything through (benchmarks.ungoverned), idle
        # while the other is measured: each read is measured in both, run after run
        baseline_server, baseline_port = start_server(
            workers=args.workers, threads=args.threads, app="benchmarks.ungoverned:application"
        )
        baseline = Load(
            baseline_port, auth, args.clients, prefix=PREFIX,
            content_type="application/vnd.schemaregistry.v1+json",
        )  # fmt: skip

        # data: one subject with 5 versions to look up, check against and read by id
        from apps.schemas.services import SchemaInput
        from apps.schemas.services import register as register_schema

        base = [avro("Payment", extra) for extra in range(5)]
        ids = [register_schema(subject="bench-value", data=SchemaInput(s)).schema.pk for s in base]
        lookup_bodies = [json.dumps({"schema": s}) for s in base]
        candidate = json.dumps({"schema": avro("Payment", 6)})
        run_id = itertools.count()

        def register(
            n: int, run: int
        ):  # 50 subjects evolving compatibly: each version adds a defaulted field
            schema = json.loads(avro("Payment"))
            schema["fields"].append({"name": f"x{run}_{n}", "type": "string", "default": ""})
            return (
                "POST",
                f"/subjects/bench-{run}-{n % 50}-value/versions",
                json.dumps({"schema": json.dumps(schema)}),
            )

        requests = {
            "register": lambda run: lambda n: register(n, run),
            "lookup": lambda run: lambda n: ("POST", "/subjects/bench-value", lookup_bodies[n % 5]),
            "get_by_id": lambda run: lambda n: ("GET", f"/schemas/ids/{ids[n % 5]}", None),
            "compatibility": lambda run: (
                lambda n: (
                    "POST",
                    "/compatibility/subjects/bench-value/versions/latest",
                    candidate,
                )
            ),
        }
        if args.only:
            requests = {args.only: requests[args.only]}
        for name, make in requests.items():  # warm-up: every worker's first requests are not the rate
            load.run(make(next(run_id)), 1.0)
            if name in READS:
                baseline.run(make(next(run_id)), 1.0)
        results: dict[str, list[float]] = {name: [] for name in TARGETS}
        ungoverned: dict[str, list[float]] = {name: [] for name in READS}
        for run in range(args.runs):
            for name, make in requests.items():
                results[name].append(load.run(make(next(run_id)), args.seconds))
                if name in READS:
                    ungoverned[name].append(baseline.run(make(next(run_id)), args.seconds))
            print(
                f"run {run + 1}: "
                + ", ".join(
                    f"{name} {results[name][-1]:,.0f}/s"
                    + (f" (ungoverned {ungoverned[name][-1]:,.0f}/s)" if name in ungoverned else "")
                    for name in requests
                ),
                flush=True,
            )
        for name in READS:
            if name in requests:
                print(
                    f"governance on {name}: {overhead(results[name], ungoverned[name]):+.1f} % (target ≤ 10 %)"
                )
        if args.write and not args.only:
            write(Path(args.write), args, results, ungoverned)
    finally:
        for running in (server, baseline_server):
            if running is not None:
                stop_server(running)
        shutdown(sup, tmp)
    return 0


def overhead(governed: list[float], ungoverned: list[float]) -> float:
    """What governance adds to a request's time, in %: the ungoverned rate over the governed one."""
    return (statistics.median(ungoverned) / statistics.median(governed) - 1) * 100


def write(path: Path, args, results: dict[str, list[float]], ungoverned: dict[str, list[float]]) -> None:
    rows = []
    for name, (label, target) in TARGETS.items():
        median = statistics.median(results[name])
        runs = ", ".join(f"{v:,.0f}" for v in results[name])
        rows.append(
            f"| {label} | {median:,.0f} req/s | ≥ {target:,.0f} req/s | {median / target:.2f}× | {runs} |"
        )
    for name in READS:
        added = overhead(results[name], ungoverned[name])
        runs = ", ".join(f"{v:,.0f}" for v in ungoverned[name])
        rows.append(
            f"| governance's overhead on {TARGETS[name][0].split(' (')[0]} | {added:+.1f} % | ≤ 10 % "
            f"| {f'{10 / added:.2f}×' if added > 0 else '—'} | ungoverned: {runs} req/s |"
        )
    section = f"""
## Schema registry over HTTP — {datetime.now(UTC):%Y-%m-%d}

- Machine: {machine()}; PostgreSQL and Redis embedded; Granian with {args.workers} workers of
  {args.threads} threads (DEBUG off, every middleware on: request ids, Prometheus metrics, token auth;
  tracing off as without an OTLP endpoint)
- Load: {args.clients} client threads in one process on the same cores (a lean raw-socket HTTP/1.1 client),
  keep-alive connections, HTTP Basic
  `username:token` on every request (as Kafka clients send it); Avro schemas
- Command: `.venv/bin/python benchmarks/schema_registry.py --seconds {args.seconds:g} --runs {args.runs}
  --clients {args.clients}`
- Figures: requests per second over {args.seconds:g} s, the median of {args.runs} runs (ratio > 1 is better
  than the target). Governance's overhead: each read also measured, run after run, on a second server whose
  decision points pass everything through (`benchmarks/ungoverned.py`): the ungoverned rate over the
  governed one

| measure | median | target | ratio | runs |
|---|---|---|---|---|
{chr(10).join(rows)}
"""
    append_section(path, section)


if __name__ == "__main__":
    sys.exit(main())
