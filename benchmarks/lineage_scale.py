"""Lineage at scale: OpenLineage events in over HTTP, and 5-hop lineage queries on a large graph.

    .venv/bin/python benchmarks/lineage_scale.py [--nodes 100000] [--edges 1000000] [--queries 200]
        [--rounds 5] [--seconds 10] [--clients 32] [--few-clients 8] [--write docs/benchmarks.md]

Starts embedded PostgreSQL, Redis and Kafka (or uses DATABASE_URL, REDIS_URL, KAFKA_BOOTSTRAP_SERVERS) and
COPYs a generated graph in: half datasets, half jobs, in 20 layers; each job writes one dataset of its layer
and reads datasets of earlier layers, a fifth of them from a few hundred popular ones (dimensions every
pipeline joins), the rest from the two layers before its own. Then:

- **query**: for ``--queries`` random datasets and jobs, everything 5 hops upstream and downstream with the
  edges among it (``apps.lineage.graph.neighbourhood``: two recursive CTEs and one edge query), p95; also the
  whole ``GET /api/v1/lineage?depth=5`` answer (Marquez's shape, node data included), p95, in process.
- **ingestion**: DictaMesh served as its web role is (Granian, 2 workers × 4 threads, DEBUG off); ``--clients``
  keep-alive connections POST RunEvents (START and COMPLETE of new runs of existing jobs, each reading 3 of
  the datasets it is known to read and writing its dataset with an unchanged schema facet: the steady state)
  to ``/api/v1/lineage`` for ``--seconds``: events per second, counted once applied (the accepted events over
  the round plus the time the applier takes for what is left). Also with ``--few-clients``. Load generator and
  server share the 2 cores.

Each figure is the median over ``--rounds``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import append_section, boot, machine, percentile, shutdown, target_rows  # noqa: E402
from benchmarks.loadgen import Load, start_server, stop_server  # noqa: E402

TARGETS = {
    "query": ("5-hop upstream + downstream query (p95)", 100.0, "ms"),
    "ingest": ("OpenLineage events through HTTP, accepted and applied", 1000.0, "events/s"),
}
LAYERS = 20
DATASET_SPACES = [f"postgres://warehouse-{i}:5432" for i in range(8)] + ["s3://lake", "kafka://events:9092"]
JOB_SPACES = ["airflow-prod", "spark-etl", "dbt-core", "flink-stream"]


def load(args, rng: random.Random) -> dict:
    """COPY the generated graph in; returns timings. Nodes 1..D are datasets, D+1..D+J jobs."""
    from django.db import connection

    datasets = args.nodes // 2
    jobs = args.nodes - datasets
    timings = {}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for name in DATASET_SPACES + JOB_SPACES:
            cursor.execute(
                "INSERT INTO dictamesh_lineage_namespace (name, description, owner, created_at, updated_at)"
                " VALUES (%s, '', '', now(), now())",
                [name],
            )
        cursor.execute("SELECT name, id FROM dictamesh_lineage_namespace")
        spaces = dict(cursor.fetchall())
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'dictamesh_lineage_edge' AND indexname LIKE '%%_idx'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("ALTER TABLE dictamesh_lineage_edge DROP CONSTRAINT dictamesh_lin_edge_unique")
    raw = connection.connection
    columns = (
        "id, kind, namespace_id, name, entity_urn, description, source_name, job_type, facets, version,"
        " created_at, updated_at"
    )
    stamps = "{}\t0\t2026-11-01\t2026-11-01\n"
    with raw.cursor() as cur, cur.copy(f"COPY dictamesh_lineage_node ({columns}) FROM STDIN") as copy:
        for i in range(1, datasets + 1):
            space = spaces[DATASET_SPACES[i % len(DATASET_SPACES)]]
            copy.write(f"{i}\tdataset\t{space}\tschema{i % 50}.table_{i}\t\t\t\t\t" + stamps)
        for j in range(1, jobs + 1):
            space = spaces[JOB_SPACES[j % len(JOB_SPACES)]]
            copy.write(f"{datasets + j}\tjob\t{space}\tpipeline_{j % 300}.task_{j}\t\t\t\tBATCH\t" + stamps)
    # every dataset already has the fields the events' schema facets carry: the steady state of jobs that run
    # again and again (a schema facet that changes nothing writes nothing)
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY dictamesh_lineage_field (dataset_id, name, type, description, ordinal, created_at, updated_at)"
            " FROM STDIN"
        ) as copy,
    ):
        for i in range(1, datasets + 1):
            copy.write(
                f"{i}\tid\tBIGINT\t\t0\t2026-11-01\t2026-11-01\n{i}\tamount\tDECIMAL\t\t1\t2026-11-01\t2026-11-01\n"
            )
    raw.commit()
    timings["nodes copy"] = time.perf_counter() - started

    # job j writes dataset j (their layer: j * LAYERS // jobs) and reads earlier layers' datasets
    per_layer = datasets // LAYERS
    popular = list(range(1, min(datasets, 400) + 1))  # layer 0: the dimensions everybody joins
    reads = max(1, (args.edges - jobs) // jobs)
    started = time.perf_counter()
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY dictamesh_lineage_edge (source_id, target_id, provenance, confidence, note, created_by,"
            " created_at, last_seen_at) FROM STDIN"
        ) as copy,
    ):
        lines = []
        for j in range(1, jobs + 1):
            job = datasets + j
            out = (j - 1) % datasets + 1
            lines.append(f"{job}\t{out}\topenlineage\t1\t\t\t2026-11-01\t2026-11-01\n")
            layer = min(LAYERS - 1, (out - 1) // max(1, per_layer))
            low = max(1, (layer - 2) * per_layer + 1)
            high = max(low, layer * per_layer)
            chosen = set()
            for _ in range(reads + rng.randint(-3, 3)):
                source = rng.choice(popular) if rng.random() < 0.2 or high <= low else rng.randint(low, high)
                if source != out:
                    chosen.add(source)
            lines.extend(
                f"{source}\t{job}\topenlineage\t1\t\t\t2026-11-01\t2026-11-01\n" for source in chosen
            )
            if len(lines) > 20000:
                copy.write("".join(lines))
                lines = []
        copy.write("".join(lines))
    raw.commit()
    timings["edges copy"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE dictamesh_lineage_edge ADD CONSTRAINT dictamesh_lin_edge_unique UNIQUE (source_id, target_id)"
        )
        cursor.execute(
            "CREATE INDEX dictamesh_lin_edge_up_idx ON dictamesh_lineage_edge (target_id, source_id)"
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('dictamesh_lineage_node', 'id'), %s)", [args.nodes]
        )
        cursor.execute("VACUUM ANALYZE dictamesh_lineage_node")
        cursor.execute("VACUUM ANALYZE dictamesh_lineage_edge")
        cursor.execute("SELECT count(*) FROM dictamesh_lineage_edge")
        timings["edges"] = cursor.fetchone()[0]
    timings["indexes and analyze"] = time.perf_counter() - started
    return timings


def measure_query(rng: random.Random, args) -> tuple[float, float, float]:
    from apps.lineage.graph import neighbourhood

    times, sizes = [], []
    for _ in range(args.queries):
        start = rng.randint(1, args.nodes)
        started = time.perf_counter()
        area = neighbourhood("node", [start], depth=5)
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(area.hops))
    return percentile(times, 0.95), statistics.median(sizes), sum(1 for s in sizes if s >= 5000) / len(sizes)


def measure_api(client, rng: random.Random, args, names: dict[int, str]) -> float:
    times = []
    for _ in range(max(20, args.queries // 4)):
        node = names[rng.randint(1, args.nodes)]
        started = time.perf_counter()
        response = client.get("/api/v1/lineage", {"nodeId": node, "depth": 5})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    return percentile(times, 0.95)


def event_maker(args, rng: random.Random, names: dict[int, str], reads: dict[int, list[int]]):
    """Events of jobs that run again: each reads 3 of the datasets it is known to read (the graph stays as it
    is, as in production once pipelines are known) and writes its dataset."""
    datasets = args.nodes // 2
    jobs = args.nodes - datasets

    def ref(node: int) -> tuple[str, str]:
        kind, rest = names[node].split(":", 1)
        namespace, _, name = rest.rpartition(":")
        return namespace, name

    salt = uuid.UUID(int=rng.getrandbits(128))  # a maker per round: its runs are new

    def make(n: int) -> bytes:
        # even events start run n // 2; odd ones complete the run started 200 events before (runs take time)
        run = n // 2 if n % 2 == 0 else max(0, n // 2 - 100)
        job = datasets + 1 + (run * 7919) % jobs
        run_id = str(uuid.uuid5(salt, str(run)))
        out_ns, out_name = ref((job - datasets - 1) % datasets + 1)
        job_ns, job_name = ref(job)
        known = reads.get(job) or [rng.randint(1, datasets)]
        inputs = [ref(node) for node in rng.sample(known, min(3, len(known)))]
        body = {
            "eventType": "START" if n % 2 == 0 else "COMPLETE",
            "eventTime": datetime.now(UTC).isoformat(),
            "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/airflow",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": run_id, "facets": {}},
            "job": {"namespace": job_ns, "name": job_name, "facets": {}},
            "inputs": [{"namespace": ns, "name": name, "facets": {}} for ns, name in inputs],
            "outputs": [
                {
                    "namespace": out_ns,
                    "name": out_name,
                    "facets": {
                        "schema": {
                            "_producer": "bench",
                            "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json",
                            "fields": [
                                {"name": "id", "type": "BIGINT"},
                                {"name": "amount", "type": "DECIMAL"},
                            ],
                        }
                    },  # noqa: E501
                }
            ],
        }
        return json.dumps(body).encode()

    return make


def ingest_drain() -> float:
    """Seconds until every accepted event is applied (the applier's backlog once the load stops)."""
    from apps.lineage.services import catch_up

    started = time.perf_counter()
    catch_up()
    return time.perf_counter() - started


def ingest_round(load, make, seconds: float) -> tuple[float, float]:
    """``seconds`` of load (events built beforehand, more than the server takes): the rate events were
    accepted at, and how long applying the rest took after."""
    requests = load.prebuilt("POST", "/api/v1/lineage", [make(n) for n in range(int(seconds * 2500))])
    accepted = load.run(requests, seconds)
    if load.last_count >= len(requests):
        raise RuntimeError("the load generator ran out of events: build more")
    return accepted, ingest_drain()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--few-clients", type=int, default=8, help="also measured, reported beside (0: not)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--write", help="append the result to this Markdown file")
    args = parser.parse_args()

    sup = tmp = server = None
    try:
        sup, tmp = boot(
            env={
                "DJANGO_DEBUG": "false",
                "DICTAMESH_PROCESS": "bench",
                "DICTAMESH_ALLOW_ANONYMOUS_READ": "true",
            },
            shared_buffers="1GB",
        )
        from django.db import connection
        from django.test import Client

        rng = random.Random(5)  # noqa: S311 - benchmark data
        print(f"loading {args.nodes:,} nodes, {args.edges:,} edges", flush=True)
        timings = load(args, rng)
        for step, value in timings.items():
            print(f"  {step}: {value:,}" if step == "edges" else f"  {step}: {value:,.1f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n.id, n.kind || ':' || s.name || ':' || n.name FROM dictamesh_lineage_node n"
                " JOIN dictamesh_lineage_namespace s ON s.id = n.namespace_id"
            )
            names = dict(cursor.fetchall())
            cursor.execute(
                "SELECT e.target_id, array_agg(e.source_id) FROM dictamesh_lineage_edge e"
                " JOIN dictamesh_lineage_node n ON n.id = e.target_id AND n.kind = 'job' GROUP BY e.target_id"
            )
            reads = dict(cursor.fetchall())

        from dictamesh.auth.services import api_token_create, user_ensure

        token = api_token_create(user=user_ensure(username="bench-producer"), name="bench").clear
        server, port = start_server(workers=args.workers, threads=args.threads)
        load_http = Load(port, f"Bearer {token}", args.clients, ok=(201,))
        warm = event_maker(args, rng, names, reads)
        load_http.run(lambda n: ("POST", "/api/v1/lineage", warm(n)), 2.0)  # warm-up: imports, connections
        client = Client()
        results: dict[str, list[float]] = {key: [] for key in TARGETS}
        extra: dict[str, list[float]] = {
            "api": [],
            "size": [],
            "cut": [],
            "accepted": [],
            "drain": [],
            "few": [],
        }
        few = Load(port, f"Bearer {token}", args.few_clients, ok=(201,)) if args.few_clients else None
        for round_ in range(args.rounds):
            p95, size, cut = measure_query(rng, args)
            results["query"].append(p95)
            extra["size"].append(size)
            extra["cut"].append(cut)
            extra["api"].append(measure_api(client, rng, args, names))
            make = event_maker(args, rng, names, reads)
            accepted, drain = ingest_round(load_http, make, args.seconds)
            results["ingest"].append(load_http.last_count / (load_http.last_elapsed + drain))
            extra["accepted"].append(accepted)
            extra["drain"].append(drain)
            if few is not None:
                _, drained = ingest_round(few, event_maker(args, rng, names, reads), args.seconds)
                extra["few"].append(few.last_count / (few.last_elapsed + drained))
            print(
                f"round {round_ + 1}: 5-hop query p95 {p95:.1f} ms (median {size:,.0f} nodes, {cut:.0%} cut at"
                f" the node limit), GET /lineage depth 5 p95 {extra['api'][-1]:.1f} ms,"
                f" ingestion {results['ingest'][-1]:,.0f} events/s applied ({extra['accepted'][-1]:,.0f}/s accepted,"
                f" the last applied {extra['drain'][-1]:.2f} s after the load)"
                + (f"; {extra['few'][-1]:,.0f}/s with {args.few_clients} clients" if few is not None else ""),
                flush=True,
            )
        if args.write:
            write(Path(args.write), args, timings, results, extra)
    finally:
        if server is not None:
            stop_server(server)
        shutdown(sup, tmp)
    return 0


def write(path: Path, args, timings, results, extra) -> None:
    from django.conf import settings

    rows = target_rows(TARGETS, results)
    section = f"""
## Lineage at scale — {datetime.now(UTC):%Y-%m-%d}

- Machine: {machine()}; PostgreSQL 18 embedded (shared_buffers
  {os.environ.get("DICTAMESH_DEV_PG_SHARED_BUFFERS", "128MB")}, fsync off), Redis and Kafka (tansu) embedded
- Data: {args.nodes:,} nodes (half datasets, half jobs, {LAYERS} layers), {timings["edges"]:,} edges;
  answers cut at DICTAMESH_LINEAGE_MAX_NODES = {settings.DICTAMESH_LINEAGE_MAX_NODES:,}
- Command: `.venv/bin/python benchmarks/lineage_scale.py --nodes {args.nodes} --edges {args.edges} --queries
  {args.queries} --rounds {args.rounds} --seconds {args.seconds:g} --clients {args.clients}`
- Figures: the median over {args.rounds} rounds; a query round is the p95 of {args.queries} random start
  nodes; an ingestion round is {args.seconds:g} s of {args.clients} keep-alive clients posting RunEvents (START
  and COMPLETE of new runs, 3 inputs, 1 output with a schema facet) to Granian ({args.workers} workers ×
  {args.threads} threads, as the image's web role) on the same 2 cores; its rate counts an event once
  applied: the events accepted during the round over the round's time plus the time the applier took to
  apply what was left;
  the events are built before the round (the load generator's sockets alone share the cores)

| measure | median | target | ratio | rounds |
|---|---|---|---|---|
{chr(10).join(rows)}

- 5-hop neighbourhoods held a median of {statistics.median(extra["size"]):,.0f} nodes;
  {statistics.median(extra["cut"]):.0%} of them reached the node limit (cut nearest first, marked truncated)
- Ingestion: accepted at a median of {statistics.median(extra["accepted"]):,.0f} events/s, the last event applied
  {statistics.median(extra["drain"]):.2f} s after the load stopped (median)"""
    if extra["few"]:
        section += f"""
- With {args.few_clients} clients instead of {args.clients}: {statistics.median(extra["few"]):,.0f} events/s applied
  (median; rounds {", ".join(f"{v:,.0f}" for v in extra["few"])})"""
    section += f"""
- The whole Marquez answer, `GET /api/v1/lineage?nodeId=…&depth=5` (node data, fields, latest runs, each job's
  inputs and outputs), in process: p95 {statistics.median(extra["api"]):.1f} ms
- Load: nodes {timings["nodes copy"]:.1f} s, edges {timings["edges copy"]:.1f} s, indexes and analyze
  {timings["indexes and analyze"]:.1f} s
"""
    append_section(path, section)


if __name__ == "__main__":
    sys.exit(main())
