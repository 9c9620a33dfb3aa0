"""Rows the bulk writes send (``dictamesh.db.insert_rows``/``update_rows``): columns with their SQL types."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from django.db import connection
from django.utils import timezone

from .models import Entity

UPDATE_COLUMNS = {
    "id": "bigint", "name": "text", "display_name": "text", "description": "text", "domain_id": "bigint",
    "tags": "varchar[]", "classification": "text", "properties": "jsonb", "cache_ttl_seconds": "integer",
    "cache_strategy": "text", "schema_subject": "text", "last_synced_at": "timestamptz", "version": "integer",
    "updated_at": "timestamptz", "deleted_at": "timestamptz", "deprecated_at": "timestamptz",
    "deprecation_note": "text",
}  # fmt: skip
CREATE_COLUMNS = {
    **{k: v for k, v in UPDATE_COLUMNS.items() if k != "id"},
    "urn": "text", "entity_type": "text", "source_id": "bigint", "source_key": "text",
    "created_at": "timestamptz", "embedding_digest": "text",
}  # fmt: skip


def row(entity: Entity) -> dict:
    """The columns of an entity that creates and updates write."""
    return {
        "name": entity.name, "display_name": entity.display_name, "description": entity.description,
        "domain_id": entity.domain_id, "tags": entity.tags, "classification": entity.classification,
        "properties": entity.properties, "cache_ttl_seconds": entity.cache_ttl_seconds,
        "cache_strategy": entity.cache_strategy, "schema_subject": entity.schema_subject,
        "last_synced_at": entity.last_synced_at, "version": entity.version, "updated_at": entity.updated_at,
        "deleted_at": entity.deleted_at, "deprecated_at": entity.deprecated_at,
        "deprecation_note": entity.deprecation_note,
    }  # fmt: skip


# what a new entity holds where its item names nothing (the model's defaults)
_DEFAULTS = {
    f.attname: default.value if isinstance(default := f.get_default(), Enum) else default
    for f in Entity._meta.concrete_fields
    if f.attname in CREATE_COLUMNS and f.default not in (list, dict, timezone.now)  # set per row
}


def new_row(*, changes: dict, urn: str, entity_type: str, source_id: int, source_key: str,
            domain_id: int, now: datetime) -> dict:  # fmt: skip
    """The columns of a new entity, from its cleaned ``changes`` (no model instance: bulk creates are many)."""
    new = {**_DEFAULTS, "id": None, "tags": [], "properties": {}}
    for key, value in changes.items():
        if key not in ("domain", "owners"):
            new[key] = value
    new.update(urn=urn, entity_type=entity_type, source_id=source_id, source_key=source_key,
               domain_id=domain_id, created_at=now, updated_at=now, version=1)  # fmt: skip
    return new


NAME_WORDS_SQL = """
INSERT INTO dictamesh_catalog_name_word (word)
SELECT DISTINCT left(w, 100) FROM dictamesh_catalog_entity e,
    unnest(tsvector_to_array(to_tsvector('simple', e.name || ' ' || e.display_name))) AS w
WHERE e.id = ANY(%s) AND length(w) >= 3 AND w !~ '^[0-9]+$'
ORDER BY 1  -- concurrent bulk batches insert shared words in one order: no deadlock
ON CONFLICT DO NOTHING
"""


def remember_name_words(*, ids: list[int]) -> None:
    """Add the words of these entities' names to the dictionary that corrects typos in searches."""
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(NAME_WORDS_SQL, [ids])
