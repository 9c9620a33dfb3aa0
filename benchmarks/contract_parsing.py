"""Why the catalog's entity input is still cleaned by hand (ADR 0028): the bulk upsert's cleaning, item by
item, against the same rules written as a strict pydantic contract (``dictamesh.contracts``), on the same
items. CPU only: no services, no database.

    .venv/bin/python benchmarks/contract_parsing.py [--items 20000] [--runs 5] [--write FILE]

The contract below states what ``apps/catalog/inputs.py`` accepts (trimmed strings with limits, tags sorted
and unique, owners as ``{principal, role}`` or a bare principal, properties at most 64 kB of JSON, a cache
block, a sync time); both are checked to agree on every item before anything is timed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DICTAMESH_ENV", "test")

TARGET = 20_000  # items/s: a cleaning that leaves the bulk upsert's 5,000 entities/s target its time
BULK_RATE = 7_407  # entities/s: the bulk upsert at small scale, docs/benchmarks.md ("make bench", 2026-12-04)


def contract():
    from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

    from apps.catalog import inputs
    from dictamesh.contracts import Contract, hinted, text
    from dictamesh.db import dumps

    Tag = Annotated[str, StringConstraints(pattern=inputs.TAG.pattern)]

    class Owner(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        principal: Annotated[str, StringConstraints(pattern=inputs.PRINCIPAL.pattern)]
        role: Literal[tuple(sorted(inputs.ROLES))] = "technical"  # type: ignore[valid-type]

    class Cache(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        ttl_seconds: int | None = Field(None, ge=0, le=inputs.MAX_TTL)
        strategy: Literal[tuple(sorted(inputs.STRATEGIES))] | None = None  # type: ignore[valid-type]

    class EntityIn(Contract):
        what: ClassVar[str] = "entity"
        source: str
        type: str
        source_key: str
        name: text(255)
        display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] = ""
        description: Annotated[
            str, StringConstraints(strip_whitespace=True, max_length=inputs.MAX_DESCRIPTION)
        ] = ""
        schema_subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] = ""
        domain: text(100)
        tags: list[Tag] = Field(default_factory=list, max_length=inputs.MAX_TAGS)
        owners: list[Owner | Annotated[str, StringConstraints(pattern=inputs.PRINCIPAL.pattern)]] = Field(
            default_factory=list, max_length=inputs.MAX_OWNERS
        )
        properties: dict[str, Any] = hinted("a JSON object", {})
        classification: Literal[tuple(sorted(inputs.CLASSIFICATIONS))] = "internal"  # type: ignore[valid-type]
        cache: Cache | None = None
        last_synced_at: datetime | None = Field(None, strict=False)

        @field_validator("tags")
        @classmethod
        def _tags(cls, value: list[str]) -> list[str]:
            return sorted(set(value))

        @field_validator("owners")
        @classmethod
        def _owners(cls, value: list) -> list[dict]:
            pairs = {(o, "technical") if isinstance(o, str) else (o.principal, o.role) for o in value}
            return [{"principal": p, "role": r} for p, r in sorted(pairs)]

        @field_validator("properties")
        @classmethod
        def _properties(cls, value: dict) -> dict:
            if len(dumps(value).encode()) > inputs.MAX_PROPERTIES_BYTES:
                raise ValueError(f"at most {inputs.MAX_PROPERTIES_BYTES} bytes of JSON")
            return value

    return EntityIn


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
    from apps.catalog.inputs import clean_changes
    from benchmarks.common import append_section, machine
    from dictamesh.contracts import parse

    EntityIn = contract()
    batch = items(args.items)
    identity = ("source", "type", "source_key")

    def by_hand():
        return [clean_changes(item, required=("name", "domain")) for item in batch]

    def by_contract():
        return [parse(EntityIn, item).sent() for item in batch]

    hand, typed = by_hand()[0], by_contract()[0]
    for key, value in hand.items():  # the two agree on what they keep
        assert typed[key] == value, (key, typed[key], value)
    assert set(typed) - set(hand) <= set(identity), set(typed) - set(hand)

    rates: dict[str, list[float]] = {"by hand": [], "contract": []}
    for _ in range(args.runs):
        for name, run in (("by hand", by_hand), ("contract", by_contract)):
            start = time.perf_counter()
            run()
            rates[name].append(args.items / (time.perf_counter() - start))
    hand_rate, typed_rate = (statistics.median(rates[k]) for k in ("by hand", "contract"))
    per_entity = 1 / BULK_RATE  # seconds a bulk upsert spends on one entity (the recorded rate)
    rows = []
    for name, rate, values in (
        ("entity input cleaned by hand (apps/catalog/inputs.py)", hand_rate, rates["by hand"]),
        ("the same rules as a strict pydantic contract", typed_rate, rates["contract"]),
    ):
        share = (1 / rate) / per_entity
        rows.append(f"| {name} | {rate:,.0f} items/s | ≥ {TARGET:,} items/s | {rate / TARGET:.2f}× | "
                    f"{share:.1%} | {', '.join(f'{v:,.0f}' for v in values)} |")  # fmt: skip
    section = f"""
## Contract parsing — {datetime.now(UTC):%Y-%m-%d}

- Machine: {machine()}
- {args.items:,} entities as an adapter's sync sends them (tags, owners, 12 properties, a sync time), each
  cleaned alone as the bulk upsert does; CPU only
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
