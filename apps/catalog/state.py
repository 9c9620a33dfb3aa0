"""One shape of an entity, used by the REST API, the cache, the history and the events."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .models import Entity, Relationship

# the fields whose change makes a new version (and that a diff compares)
VERSIONED = (
    "name",
    "display_name",
    "description",
    "domain",
    "tags",
    "classification",
    "properties",
    "owners",
    "cache",
    "schema_subject",
    "deprecated",
    "deprecation_note",
    "deleted",
)


def entity_state(entity: Entity, *, owners: list[dict] | None = None) -> dict[str, Any]:
    """``owners`` given, or read from the entity's prefetched ``owners`` (the selectors prefetch them)."""
    if owners is None:
        owners = sorted(
            ({"principal": o.principal, "role": o.role} for o in entity.owners.all()),
            key=lambda o: (o["principal"], o["role"]),
        )
    return row_state(entity.__dict__, domain=entity.domain.name, source=entity.source.name, owners=owners)


def row_state(row: Mapping[str, Any], *, domain: str, source: str, owners: list[dict]) -> dict[str, Any]:
    """The state of an entity from its row's columns (a model's ``__dict__`` or a bulk create's row)."""
    return {
        "id": row["id"],
        "urn": row["urn"],
        "type": row["entity_type"],
        "name": row["name"],
        "display_name": row["display_name"],
        "description": row["description"],
        "domain": domain,
        "source": source,
        "source_key": row["source_key"],
        "version": row["version"],
        "schema_subject": row["schema_subject"],
        "owners": owners,
        "tags": list(row["tags"]),
        "classification": row["classification"],
        "properties": row["properties"],
        "cache": {"ttl_seconds": row["cache_ttl_seconds"], "strategy": row["cache_strategy"]},
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "deprecated": row["deprecated_at"] is not None,
        "deprecated_at": row["deprecated_at"],
        "deprecation_note": row["deprecation_note"],
        "deleted": row["deleted_at"] is not None,
        "deleted_at": row["deleted_at"],
        "last_synced_at": row["last_synced_at"],
    }


@functools.lru_cache(maxsize=256)  # a bulk write stamps thousands of states with the same few datetimes
def _iso(value: datetime) -> str:
    """A datetime as DjangoJSONEncoder writes it (milliseconds, ``Z`` for UTC)."""
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def json_state(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with its datetimes as strings: what the history, events and cache of JSON hold."""
    return {key: _iso(value) if isinstance(value, datetime) else value for key, value in state.items()}


def relationship_state(rel: Relationship, *, source_urn: str, target_urn: str) -> dict[str, Any]:
    return {
        "id": rel.pk,
        "source": source_urn,
        "target": target_urn,
        "predicate": rel.predicate,
        "bidirectional": rel.bidirectional,
        "metadata": rel.metadata,
        "confidence": rel.confidence,
        "provenance": rel.provenance,
        "created_at": rel.created_at,
        "updated_at": rel.updated_at,
    }


def diff_states(before: dict | None, after: dict | None) -> list[dict[str, Any]]:
    """Field-level diff: ``[{"field", "before", "after"}]`` over the versioned fields (properties by key)."""
    before, after = before or {}, after or {}
    changes = []
    for field in VERSIONED:
        old, new = before.get(field), after.get(field)
        if field == "properties" and isinstance(old, dict) and isinstance(new, dict):
            for key in sorted(set(old) | set(new)):
                if old.get(key) != new.get(key):
                    changes.append(
                        {"field": f"properties.{key}", "before": old.get(key), "after": new.get(key)}
                    )
            continue
        if old != new:
            changes.append({"field": field, "before": old, "after": new})
    return changes


def changed_fields(before: dict | None, after: dict) -> list[str]:
    return [field for field in VERSIONED if (before or {}).get(field) != after.get(field)]
