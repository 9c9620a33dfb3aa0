"""One shape of an entity, used by the REST API, the cache, the history and the events."""

from __future__ import annotations

import functools
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
    return {
        "id": entity.pk,
        "urn": entity.urn,
        "type": entity.entity_type,
        "name": entity.name,
        "display_name": entity.display_name,
        "description": entity.description,
        "domain": entity.domain.name,
        "source": entity.source.name,
        "source_key": entity.source_key,
        "version": entity.version,
        "schema_subject": entity.schema_subject,
        "owners": owners,
        "tags": list(entity.tags),
        "classification": entity.classification,
        "properties": entity.properties,
        "cache": {"ttl_seconds": entity.cache_ttl_seconds, "strategy": entity.cache_strategy},
        "created_at": entity.created_at,
        "updated_at": entity.updated_at,
        "deprecated": entity.deprecated_at is not None,
        "deprecated_at": entity.deprecated_at,
        "deprecation_note": entity.deprecation_note,
        "deleted": entity.deleted_at is not None,
        "deleted_at": entity.deleted_at,
        "last_synced_at": entity.last_synced_at,
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
