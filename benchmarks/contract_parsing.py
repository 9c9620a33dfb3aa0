"""What the entity contract costs the bulk upsert (ADR 0028): each item of a sync parsed by
``apps.catalog.contracts.EntityIn`` (strict pydantic, ``dictamesh.contracts.parse``) into the entity's
columns, as the bulk upsert does, and its share of the time the bulk upsert spends on an entity. CPU only:
no services, no database.

    .venv/bin/python benchmarks/contract_parsing.py [--items 20000] [--runs 5] [--write FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DICTAMESH_ENV", "test")

TARGET = 20_000  # items/s: a cleaning that leaves the bulk upsert's 5,000 entities/s target its time
BULK_RATE = 7_407  # entities/s: the bulk upsert at small scale, docs/benchmarks.md ("make bench", 2026-12-04)


def items(n: int) -> list[dict]:
    """Entities as an adapter's sync sends them: a few tags and owners, a dozen properties."""
    return [
        {
            "source": "crm", "type": "table", "source_key": f"t{i:07d}", "name": f" customers {i} ",
            "description": "Customer master data, one row per account, refreshed nightly.", "domain": "sales",
            "tags": ["pii", "gold", f"team.{i % 7}", "pii"], "classification": "confidential",
            "owners": ["user:alice", {"principal": "group:sales-data", "role": "steward"}],
            "properties": {f"p{k}": {"type": "string", "nullable": k % 2 == 0, "length": k * 10} for k in range(12)},
            "last_synced_at": "2026-12-01T10:00:00Z",
        }
        for i in range(n)
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", help="append the results table to this file")
    args = parser.parse_args()

    import django

    django.setup()
    from apps.catalog.inputs import entity_input, identify
    from benchmarks.common import append_section, machine

    batch = items(args.items)
    first = entity_input(batch[0])
    assert identify(first)[0] == "dm:crm:table:t0000000" and first.changes()["tags"] == [
        "gold",
        "pii",
        "team.0",
    ]

    rates: dict[str, list[float]] = {"contract": []}
    for _ in range(args.runs):
        start = time.perf_counter()
        for item in batch:
            parsed = entity_input(item)
            identify(parsed)
            parsed.changes()
        rates["contract"].append(args.items / (time.perf_counter() - start))
    typed_rate = statistics.median(rates["contract"])
    per_entity = 1 / BULK_RATE  # seconds a bulk upsert spends on one entity (the recorded rate)
    rows = []
    for name, rate, values in (("entity input parsed by its contract", typed_rate, rates["contract"]),):
        share = (1 / rate) / per_entity
        rows.append(f"| {name} | {rate:,.0f} items/s | ≥ {TARGET:,} items/s | {rate / TARGET:.2f}× | "
                    f"{share:.1%} | {', '.join(f'{v:,.0f}' for v in values)} |")  # fmt: skip
    section = f"""
## Contract parsing — {datetime.now(UTC):%Y-%m-%d}

- Machine: {machine()}
- {args.items:,} entities as an adapter's sync sends them (tags, owners, 12 properties, a sync time), each
  parsed alone, identified and turned into columns as the bulk upsert does; CPU only
- Command: `.venv/bin/python benchmarks/contract_parsing.py --items {args.items} --runs {args.runs}`
- "share": the time one item takes against the time the bulk upsert spends on an entity (its recorded
  {BULK_RATE:,} entities/s)

| measure | median of {args.runs} | target | ratio | share | runs |
|---|---|---|---|---|---|
{chr(10).join(rows)}
"""
    print(section)
    if args.write:
        append_section(Path(args.write), section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
