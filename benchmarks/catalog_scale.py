"""The catalog at scale: 1,000,000 entities, 3,000,000 relationships, 200,000 embeddings.

    .venv/bin/python benchmarks/catalog_scale.py [--entities 1000000] [--relationships 3000000]
        [--vectors 200000] [--queries 200] [--rounds 3] [--write docs/benchmarks.md]

Starts its own embedded PostgreSQL (with pgvector) and Redis unless DATABASE_URL and REDIS_URL are set.
The generator loads with COPY (indexes dropped during the load and rebuilt after, as one would for a first
import); the measured paths are DictaMesh's own: the GraphQL endpoint, the REST search endpoint, the graph
selector, the services' bulk upsert. Latencies are per request, in process (Django test client: the full
middleware, auth and view stack, no network). Each latency is the p95 of ``--queries`` requests; the
reported figure is the median of ``--rounds`` such p95s. The bulk upsert rate is one call of 5,000 new
entities per round (batches of 1,000 on the services' parallel connections), after one untimed call of 200
(the process's first imports, task producer and connections are not throughput).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import append_section, boot, machine, percentile, shutdown, target_rows  # noqa: E402 - after sys.path
from benchmarks.ungoverned import ungoverned  # noqa: E402

TARGETS = {
    "entity": ("GraphQL entity by URN, warm (p95)", 5.0, "ms"),
    "search": ("REST full-text search with facets (p95)", 50.0, "ms"),
    "knn": ("kNN top-10, HNSW (p95)", 20.0, "ms"),
    "neighbors": ("2-hop neighbours (p95)", 20.0, "ms"),
    "upsert": ("bulk upsert", 5000.0, "entities/s"),
}
WORDS = [
    "customer",
    "order",
    "invoice",
    "payment",
    "refund",
    "shipment",
    "parcel",
    "carrier",
    "warehouse",
    "stock",
    "product",
    "price",
    "discount",
    "campaign",
    "lead",
    "account",
    "contact",
    "opportunity",
    "quote",
    "contract",
    "subscription",
    "churn",
    "revenue",
    "ledger",
    "budget",
    "cost",
    "center",
    "vendor",
    "supplier",
    "purchase",
    "tax",
    "currency",
    "rate",
    "region",
    "country",
    "city",
    "store",
    "channel",
    "session",
    "click",
    "event",
    "page",
    "view",
    "cart",
    "checkout",
    "basket",
    "return",
    "claim",
    "ticket",
    "support",
    "agent",
    "call",
    "chat",
    "email",
    "sms",
    "push",
    "notification",
    "device",
    "app",
    "user",
    "profile",
    "segment",
    "cohort",
    "score",
    "model",
    "feature",
    "label",
    "prediction",
    "forecast",
    "demand",
    "supply",
    "route",
    "delivery",
    "attempt",
    "driver",
    "fleet",
    "vehicle",
    "fuel",
    "maintenance",
    "asset",
    "location",
    "zone",
    "bin",
    "pick",
    "pack",
    "batch",
    "lot",
    "serial",
    "quality",
    "defect",
    "inspection",
    "audit",
    "policy",
    "consent",
    "retention",
    "request",
    "export",
    "import",
    "sync",
    "job",
    "run",
    "task",
    "metric",
    "daily",
    "weekly",
    "monthly",
    "yearly",
    "snapshot",
    "history",
    "archive",
    "staging",
    "raw",
    "clean",
    "enriched",
    "summary",
    "aggregate",
    "employee",
    "payroll",
    "salary",
    "bonus",
    "expense",
    "travel",
    "approval",
    "invoice_line",
    "order_line",
    "gl",
    "journal",
    "balance",
]
TAGS = [f"tag{i}" for i in range(40)] + ["pii", "gold", "silver", "bronze", "certified", "deprecated-soon"]
PREDICATES = ["references", "derived_from", "feeds", "one_to_many", "related_to"]


def phrase(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def load(args) -> dict:
    """COPY the generated catalog in; returns timings of each step."""
    from django.db import connection

    from dictamesh.embeddings import HashingEmbedder, to_pgvector

    rng = random.Random(7)  # noqa: S311 - benchmark data
    timings = {}
    embedder = HashingEmbedder()
    with connection.cursor() as cursor:
        for i in range(10):
            cursor.execute(
                "INSERT INTO dictamesh_catalog_domain (name, display_name, description, owner, created_at, updated_at)"
                " VALUES (%s, '', '', '', now(), now())",
                [f"domain{i}"],
            )
        for i in range(20):
            cursor.execute(
                "INSERT INTO dictamesh_catalog_source (name, kind, display_name, description, connection_ref, owner,"
                " created_at, updated_at) VALUES (%s, 'postgresql', '', '', '', '', now(), now())",
                [f"source{i}"],
            )
        cursor.execute("SELECT id FROM dictamesh_catalog_domain ORDER BY id")
        domains = [r[0] for r in cursor.fetchall()]
        cursor.execute("SELECT id FROM dictamesh_catalog_source ORDER BY id")
        sources = [r[0] for r in cursor.fetchall()]
        cursor.execute(
            "SELECT indexdef, indexname FROM pg_indexes WHERE tablename IN"
            " ('dictamesh_catalog_entity', 'dictamesh_catalog_relationship', 'dictamesh_catalog_owner')"
            " AND indexname LIKE 'dictamesh_cat_%%idx'"
        )
        indexes = cursor.fetchall()
        for _, name in indexes:
            cursor.execute(f'DROP INDEX "{name}"')

    raw = connection.connection
    started = time.perf_counter()
    columns = (
        "id, urn, entity_type, name, display_name, description, domain_id, source_id, source_key, version,"
        " schema_subject, tags, classification, properties, cache_ttl_seconds, cache_strategy, created_at,"
        " updated_at, deprecation_note, embedding_digest, embedding"
    )
    types = ["table", "view", "topic", "dashboard", "api_resource"]
    classes = ["public", "internal", "internal", "confidential", "restricted"]
    with raw.cursor() as cur, cur.copy(f"COPY dictamesh_catalog_entity ({columns}) FROM STDIN") as copy:
        lines = []
        for i in range(1, args.entities + 1):
            name = "_".join(rng.choice(WORDS) for _ in range(3)) + f"_{i}"
            source = rng.randrange(len(sources))
            entity_type = types[i % len(types)]
            description = (
                f"The {phrase(rng, 2)} of every {phrase(rng, 1)}, by {phrase(rng, 1)}; {phrase(rng, 6)}."
            )
            tags = "{" + ",".join(sorted(set(rng.sample(TAGS, rng.randint(1, 3))))) + "}"
            vector = "\\N"
            if i <= args.vectors:
                vector = to_pgvector(embedder.embed_one(f"{name} {entity_type} {description}"))
            lines.append(
                f"{i}\tdm:source{source}:{entity_type}:{name}\t{entity_type}\t{name}\t\t{description}\t"
                f"{rng.choice(domains)}\t{sources[source]}\t{name}\t1\t\t{tags}\t{rng.choice(classes)}\t"
                f'{{"rows": {rng.randint(1, 10**7)}}}\t300\tttl\t2026-11-01 00:00:00+00\t2026-11-01 00:00:00+00'
                f"\t\t\t{vector}\n"
            )
            if len(lines) == 5000:
                copy.write("".join(lines))
                lines = []
        copy.write("".join(lines))
    raw.commit()
    timings["entities copy"] = time.perf_counter() - started

    started = time.perf_counter()
    with (
        raw.cursor() as cur,
        cur.copy("COPY dictamesh_catalog_owner (entity_id, principal, role) FROM STDIN") as copy,
    ):
        lines = []
        for i in range(1, args.entities + 1):
            lines.append(f"{i}\tuser:u{rng.randrange(2000)}\ttechnical\n")
            if i % 2 == 0:
                lines.append(f"{i}\tgroup:g{rng.randrange(100)}\tsteward\n")
            if len(lines) >= 10000:
                copy.write("".join(lines))
                lines = []
        copy.write("".join(lines))
    raw.commit()
    timings["owners copy"] = time.perf_counter() - started

    started = time.perf_counter()
    per_source = max(1, args.relationships // args.entities)
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY dictamesh_catalog_relationship (source_id, target_id, predicate, bidirectional, metadata,"
            " confidence, provenance, created_at, updated_at) FROM STDIN"
        ) as copy,
    ):
        lines = []
        for i in range(1, args.entities + 1):
            offsets = rng.sample(range(1, 5000), per_source)
            for k, offset in enumerate(offsets):
                j = (
                    (i - 1 + offset) % args.entities + 1
                    if rng.random() < 0.7
                    else rng.randint(1, args.entities)
                )
                if j == i:
                    j = i % args.entities + 1
                lines.append(
                    f"{i}\t{j}\t{PREDICATES[k % len(PREDICATES)]}\t{'t' if k == 0 and i % 10 == 0 else 'f'}"
                    f"\t{{}}\t0.9\tadapter\t2026-11-01 00:00:00+00\t2026-11-01 00:00:00+00\n"
                )
            if len(lines) >= 10000:
                copy.write("".join(lines))
                lines = []
        copy.write("".join(lines))
    raw.commit()
    timings["relationships copy"] = time.perf_counter() - started

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('dictamesh_catalog_entity', 'id'), %s)", [args.entities]
        )
        cursor.execute("SET maintenance_work_mem = '2GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 2")
        for definition, name in sorted(indexes, key=lambda item: "emb" in item[1]):
            started = time.perf_counter()
            cursor.execute(definition)
            timings[f"index {name}"] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE dictamesh_catalog_entity")
        cursor.execute("VACUUM ANALYZE dictamesh_catalog_relationship")
        cursor.execute("VACUUM ANALYZE dictamesh_catalog_owner")
        timings["vacuum analyze"] = time.perf_counter() - started
    return timings


def reader_token() -> str:
    """A caller that policies allow to read every entity it measures (a fifth of them are restricted): a
    plain user, so every read still goes through the decision point, masking and the audit."""
    from apps.governance import services as governance
    from apps.governance.contracts import PolicyIn
    from apps.governance.models import Policy
    from dictamesh.auth.services import api_token_create, user_ensure

    reader = user_ensure(username="catalog-reader")
    if not Policy.objects.filter(name="bench-catalog-reader").exists():
        governance.policy_create(
            policy=PolicyIn(name="bench-catalog-reader", effect="allow", actors=["user:catalog-reader"],
                            actions=["read"], resources=["entity"], description="the catalog benchmark's caller")
        )  # fmt: skip
    return api_token_create(user=reader, name="bench").clear


def measure_entity(client, urns: list[str]) -> float:
    query = "query($urn: String!) { entity(urn: $urn) { urn name tags classification owners { principal role } } }"
    for urn in urns:  # warm: every URN read once, so the measured reads hit the cache
        client.post(
            "/graphql",
            json.dumps({"query": query, "variables": {"urn": urn}}),
            content_type="application/json",
        )
    times = []
    for urn in urns:
        started = time.perf_counter()
        response = client.post(
            "/graphql",
            json.dumps({"query": query, "variables": {"urn": urn}}),
            content_type="application/json",
        )
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and response.json()["data"]["entity"]["urn"] == urn, (
            response.content
        )
    return percentile(times, 0.95)


def measure_search(client, rng, queries: int) -> tuple[float, float]:
    times, totals = [], []
    for n in range(queries):
        words = rng.sample(WORDS, 2 if n % 3 == 0 else 1)
        if n % 5 == 0:  # a typo: drop a letter
            word = words[0]
            cut = rng.randrange(1, len(word)) if len(word) > 3 else 1
            words[0] = word[:cut] + word[cut + 1 :]
        params = {"q": " ".join(words), "limit": 20}
        if n % 4 == 0:
            params["domain"] = f"domain{rng.randrange(10)}"
        started = time.perf_counter()
        response = client.get("/api/v1/catalog/search", params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
        totals.append(response.json()["total"])
    return percentile(times, 0.95), statistics.median(totals)


def measure_knn(rng, queries: int, recall_queries: int) -> tuple[float, float]:
    from django.conf import settings
    from django.db import connection, transaction

    from dictamesh.embeddings import get_embedder, to_pgvector

    embedder = get_embedder()
    vectors = [to_pgvector(embedder.embed([phrase(rng, 4)])[0]) for _ in range(queries)]
    sql = (
        "SELECT id FROM dictamesh_catalog_entity WHERE deleted_at IS NULL AND embedding IS NOT NULL"
        " ORDER BY embedding <=> %s::vector LIMIT 10"
    )
    times, found = [], []
    warm = min(20, queries)
    for n, vector in enumerate([*vectors[:warm], *vectors]):  # the first ones: warm-up, not timed
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL hnsw.ef_search = {settings.DICTAMESH_CATALOG_SEARCH_EF}")
            started = time.perf_counter()
            cursor.execute(sql, [vector])
            approx = [r[0] for r in cursor.fetchall()]
            if n >= warm:
                times.append((time.perf_counter() - started) * 1000)
                found.append(approx)
    recalls = []
    for vector, approx in list(zip(vectors, found, strict=True))[
        :recall_queries
    ]:  # exact scans, after timing
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute(sql, [vector])
            exact = [r[0] for r in cursor.fetchall()]
            recalls.append(len(set(approx) & set(exact)) / len(exact))
    return percentile(times, 0.95), statistics.mean(recalls)


def measure_semantic_api(client, rng, queries: int) -> float:
    times = []
    for _ in range(queries):
        started = time.perf_counter()
        response = client.get(
            "/api/v1/catalog/search", {"q": phrase(rng, 3), "mode": "semantic", "limit": 10}
        )
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
    return percentile(times, 0.95)


def measure_neighbors(rng, entities: int, queries: int) -> tuple[float, float]:
    from apps.catalog.graph import neighbor_ids

    times, sizes = [], []
    for _ in range(queries):
        start = rng.randint(1, entities)
        started = time.perf_counter()
        found = neighbor_ids(start=start, depth=2, direction="both", limit=500)
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(found))
    return percentile(times, 0.95), statistics.median(sizes)


def measure_upsert(round_: int, batch: int = 5000) -> float:
    round_ = f"{round_}_{int(time.time())}"  # fresh keys on every run, also on a reused catalog
    from apps.catalog.services import entities_upsert

    items = [
        {
            "source": "source0",
            "type": "table",
            "source_key": f"bulk_{round_}_{i}",
            "name": f"bulk_{round_}_{i}",
            "domain": "domain0",
            "description": "Loaded by the bulk upsert benchmark.",
            "tags": ["gold"],
            "owners": ["user:bench", "group:platform"],
            "properties": {"i": i},
        }
        for i in range(batch)
    ]
    started = time.perf_counter()
    results = entities_upsert(items=items, actor="system:bench")
    elapsed = time.perf_counter() - started
    assert all(r.status == "created" for r in results)
    return batch / elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--relationships", type=int, default=3_000_000)
    parser.add_argument("--vectors", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", help="append the result to this Markdown file")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded catalog (same sizes)")
    parser.add_argument("--ef", type=int, default=None, help="hnsw.ef_search (DICTAMESH_CATALOG_SEARCH_EF)")
    args = parser.parse_args()
    if args.ef:
        os.environ["DICTAMESH_CATALOG_SEARCH_EF"] = str(args.ef)

    sup = tmp = None
    try:
        sup, tmp = boot(
            env={
                "DICTAMESH_PROCESS": "bench",
                "DICTAMESH_EMBEDDER": "hashing",
                "DICTAMESH_ALLOW_ANONYMOUS_READ": "true",
            },
            shared_buffers="1GB",
        )
        from django.test import Client

        from apps.catalog.models import Entity

        saved = ROOT / ".dictamesh" / "bench-catalog-load.json"  # the load's timings, for --reuse
        if args.reuse and Entity.objects.count() >= args.entities and saved.exists():
            timings = json.loads(saved.read_text())
        else:
            print(f"loading {args.entities:,} entities, {args.relationships:,} relationships", flush=True)
            timings = load(args)
            saved.parent.mkdir(exist_ok=True)
            saved.write_text(json.dumps(timings))
        from django.db import connection as conn

        with conn.cursor() as cursor:  # the typo dictionary, as migration 0004 fills it
            started = time.perf_counter()
            cursor.execute(
                "INSERT INTO dictamesh_catalog_name_word (word) SELECT DISTINCT left(w, 100)"
                " FROM dictamesh_catalog_entity e, unnest(tsvector_to_array(to_tsvector('simple',"
                " e.name || ' ' || e.display_name))) AS w WHERE length(w) >= 3 AND w !~ '^[0-9]+$'"
                " ON CONFLICT DO NOTHING"
            )
            timings.setdefault("name dictionary", time.perf_counter() - started)
        for step, seconds in timings.items():
            print(f"  {step}: {seconds:,.1f} s", flush=True)
        rng = random.Random(11)  # noqa: S311 - benchmark data
        client = Client(HTTP_AUTHORIZATION=f"Bearer {reader_token()}")  # governed, and allowed what it reads
        results: dict[str, list[float]] = {key: [] for key in TARGETS}
        extra: dict[str, list[float]] = {
            "recall": [],
            "semantic_api": [],
            "search_total": [],
            "neighbors_size": [],
            "entity_ungoverned": [],
            "search_ungoverned": [],
        }
        from django.db import connection

        measure_upsert(-1, batch=200)  # warm-up, untimed: first imports, the task producer, new connections
        for round_ in range(args.rounds):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT urn FROM dictamesh_catalog_entity WHERE id = ANY(%s)",
                    [[rng.randint(1, args.entities) for _ in range(args.queries)]],
                )
                urns = [r[0] for r in cursor.fetchall()]
            # governed, and the baseline of governance's overhead (its decision points passing everything
            # through): the same reads, which of the two goes first alternating round by round
            state = rng.getstate()
            for governed in (True, False) if round_ % 2 == 0 else (False, True):
                rng.setstate(state)
                with contextlib.nullcontext() if governed else ungoverned():
                    entity_p95 = measure_entity(client, urns)
                    search_p95, total = measure_search(client, rng, args.queries)
                if governed:
                    results["entity"].append(entity_p95)
                    results["search"].append(search_p95)
                    extra["search_total"].append(total)
                else:
                    extra["entity_ungoverned"].append(entity_p95)
                    extra["search_ungoverned"].append(search_p95)
            p95, recall = measure_knn(rng, args.queries, recall_queries=min(50, args.queries))
            results["knn"].append(p95)
            extra["recall"].append(recall)
            extra["semantic_api"].append(measure_semantic_api(client, rng, min(100, args.queries)))
            p95, size = measure_neighbors(rng, args.entities, args.queries)
            results["neighbors"].append(p95)
            extra["neighbors_size"].append(size)
            results["upsert"].append(measure_upsert(round_))
            print(
                f"round {round_ + 1}: entity {results['entity'][-1]:.1f} ms, search {results['search'][-1]:.1f} ms"
                f" (median {extra['search_total'][-1]:,.0f} matches), kNN {results['knn'][-1]:.1f} ms"
                f" (recall@10 {extra['recall'][-1]:.3f}), semantic API {extra['semantic_api'][-1]:.1f} ms,"
                f" 2-hop {results['neighbors'][-1]:.1f} ms ({extra['neighbors_size'][-1]:.0f} nodes),"
                f" upsert {results['upsert'][-1]:,.0f} entities/s; ungoverned: entity"
                f" {extra['entity_ungoverned'][-1]:.1f} ms, search {extra['search_ungoverned'][-1]:.1f} ms",
                flush=True,
            )
        for name in ("entity", "search"):
            print(f"governance on {name}: {overhead(results, extra, name):+.1f} % (target ≤ 10 %)")
        if args.write:
            write(Path(args.write), args, timings, results, extra)
    finally:
        shutdown(sup, tmp)
    return 0


def overhead(results, extra, name: str) -> float:
    """What governance adds to the p95 of ``name``, in %: against the same reads ungoverned."""
    return (statistics.median(results[name]) / statistics.median(extra[f"{name}_ungoverned"]) - 1) * 100


def write(path: Path, args, timings, results, extra) -> None:
    from django.conf import settings

    rows = target_rows(TARGETS, results)
    for name in ("entity", "search"):
        added = overhead(results, extra, name)
        rows.append(
            f"| governance's overhead on {TARGETS[name][0].split(' (')[0]} (p95) | {added:+.1f} % | ≤ 10 % "
            f"| {f'{10 / added:.2f}×' if added > 0 else '—'} | ungoverned: "
            + ", ".join(f"{v:.1f}" for v in extra[f"{name}_ungoverned"])
            + " ms |"
        )
    load_lines = "\n".join(f"  - {step}: {seconds:,.1f} s" for step, seconds in timings.items())
    section = f"""
## Catalog at scale — {datetime.now(UTC):%Y-%m-%d}

- Machine: {machine()}; PostgreSQL 18
  embedded (shared_buffers {os.environ.get("DICTAMESH_DEV_PG_SHARED_BUFFERS", "128MB")}, fsync off), Redis
  embedded
- Data: {args.entities:,} entities, {args.relationships:,} relationships, {args.entities * 3 // 2:,} owners,
  {args.vectors:,} embeddings (384 dimensions, hashing embedder, HNSW m=16 ef_construction=64,
  ef_search {settings.DICTAMESH_CATALOG_SEARCH_EF})
- Command: `.venv/bin/python benchmarks/catalog_scale.py --entities {args.entities} --relationships
  {args.relationships} --vectors {args.vectors} --queries {args.queries} --rounds {args.rounds}`
- Figures: the median over {args.rounds} rounds of each round's p95 over {args.queries} requests; bulk
  upsert: one call of 5,000 new entities per round, after an untimed call of 200 (ratio > 1 is better
  than the target). Governance's overhead: the same reads in the same round with its decision points
  passing everything through (`benchmarks/ungoverned.py`)

| measure | median | target | ratio | rounds |
|---|---|---|---|---|
{chr(10).join(rows)}

- kNN recall@10 against an exact scan: {statistics.mean(extra["recall"]):.3f} (target ≥ 0.95)
- Semantic search through the REST API (embedding the query, filters, facets over the pool, states):
  p95 {statistics.median(extra["semantic_api"]):.1f} ms
- Full-text queries matched a median of {statistics.median(extra["search_total"]):,.0f} entities; 2-hop
  neighbourhoods held a median of {statistics.median(extra["neighbors_size"]):.0f} entities
- Load (COPY, then index builds):
{load_lines}
"""
    append_section(path, section)


if __name__ == "__main__":
    sys.exit(main())
