"""Outbox → Kafka relay throughput and consume → handle → commit throughput, for small events.

    .venv/bin/python benchmarks/events_throughput.py [--events 20000] [--runs 5] [--write docs/benchmarks.md]

Starts its own embedded PostgreSQL and Kafka broker (tansu) unless DATABASE_URL and
KAFKA_BOOTSTRAP_SERVERS are set. Each run uses a fresh topic. Durability as in the test services
(fsync off), so the numbers measure DictaMesh's code path, not the disk.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = 10_000

from benchmarks.common import append_section, machine, start_services  # noqa: E402 - after sys.path


def one_run(run: int, events: int) -> tuple[float, float]:
    os.environ["BENCH_RUN"] = f"{run}{int(time.time())}"
    import importlib

    import benchmarks.registry as bench_registry

    importlib.reload(bench_registry)
    from django.conf import settings

    settings.DICTAMESH_EVENTS = "benchmarks.registry"  # a plain assignment sends no setting_changed:
    from dictamesh.events.topics import reset_registry_cache

    reset_registry_cache()
    from dictamesh.events.admin_ops import sync_topics
    from dictamesh.events.consumers import ConsumerRunner
    from dictamesh.events.models import OutboxMessage
    from dictamesh.events.outbox import Change, publish_many
    from dictamesh.events.relay import OutboxRelay

    registry = bench_registry.REGISTRY
    sync_topics(registry.topics)
    topic = registry.topics[0]
    OutboxMessage.objects.all().delete()
    kind = topic.name.replace(".v1", ".created")
    for start in range(0, events, 5000):
        publish_many(
            [
                Change(kind, f"dm:bench:order:{i % 1000}", {"i": i, "total": i * 3})
                for i in range(start, start + 5000)
            ]
        )
    relay = OutboxRelay(batch_size=5000)
    started = time.perf_counter()
    sent = 0
    while sent < events:
        sent += relay.drain()
    relay_rate = events / (time.perf_counter() - started)

    runner = ConsumerRunner(registry.consumers[0])
    runner.subscribe()
    done = 0  # the clock starts at the first record: joining the group is not measured
    started = None
    while done < events:
        records = [r for r in runner.consumer.consume(num_messages=1000, timeout=0.5) if r.error() is None]
        if records and started is None:
            started = time.perf_counter()
        if records:
            done += runner.process_batch(records)
    consume_rate = events / (time.perf_counter() - started)
    runner.consumer.close()
    return relay_rate, consume_rate


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", help="append the result to this Markdown file")
    args = parser.parse_args()

    sup = tmp = None
    if not (os.environ.get("DATABASE_URL") and os.environ.get("KAFKA_BOOTSTRAP_SERVERS")):
        sup, tmp, env = start_services()
        os.environ.update(env)
    os.environ.setdefault("DICTAMESH_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DICTAMESH_PROCESS"] = "bench"
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        relay, consume = [], []
        for run in range(args.runs):
            r, c = one_run(run, args.events)
            relay.append(r)
            consume.append(c)
            print(f"run {run + 1}: relay {r:,.0f} events/s, consume {c:,.0f} events/s", flush=True)
        result = {"relay": statistics.median(relay), "consume": statistics.median(consume)}
        print(f"median: relay {result['relay']:,.0f} events/s, consume {result['consume']:,.0f} events/s")
        if args.write:
            write(Path(args.write), args, result, relay, consume)
    finally:
        if sup is not None:
            sup.stop_all(grace=10)
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def write(path: Path, args, result, relay, consume) -> None:
    rows = "\n".join(
        f"| {name} | {result[key]:,.0f} events/s | {TARGET:,} events/s | {result[key] / TARGET:.2f}× | "
        f"{', '.join(f'{v:,.0f}' for v in values)} |"
        for name, key, values in (
            ("outbox → Kafka relay", "relay", relay),
            ("consume → handle → commit", "consume", consume),
        )
    )
    section = f"""
## Event backbone throughput — {datetime.now(UTC):%Y-%m-%d}

- Machine: {machine()}
- Broker: tansu (embedded, memory storage); PostgreSQL 18 embedded (fsync off); {args.events:,} small JSON events
  per run over 1,000 keys, 6 partitions
- Command: `.venv/bin/python benchmarks/events_throughput.py --events {args.events} --runs {args.runs}`

| path | median of {args.runs} | target | ratio | runs |
|---|---|---|---|---|
{rows}
"""
    append_section(path, section)


if __name__ == "__main__":
    sys.exit(main())
