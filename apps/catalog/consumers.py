"""Consumers of the catalog's own events."""

from __future__ import annotations

from .caching import drop_entity_refs, drop_schema_owners, invalidate_entities


def invalidate_cache(event) -> None:
    """Every entity change drops the entity from L2 and from L1 in every process.

    The writer already does this after commit; this handler makes it happen even when that process died
    between its commit and the invalidation, and for changes written by other deployments' relays. The
    subject the entity's data contract is (its state after the change) drops from the schema-owners cache,
    and the entity's ref from the refs cache.
    """
    if event.type.startswith("dictamesh.catalog.entity."):
        invalidate_entities([event.subject])
        drop_entity_refs([event.subject])
        entity = event.data.get("entity") if isinstance(event.data, dict) else None
        if isinstance(entity, dict) and isinstance(entity.get("schema_subject"), str):
            drop_schema_owners([entity["schema_subject"]])
