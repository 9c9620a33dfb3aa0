"""DictaMesh's own Avro topics through its registry (``DICTAMESH_SCHEMA_RESOLVER``): the event backbone asks
for the latest schema of ``<topic>-value`` to write and for a schema by id to read, and topic sync registers
the schemas topics declare. Schemas come from the registry's caches, parsed once per process for fastavro.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from cachetools import LRUCache
from fastavro import parse_schema

from . import errors, selectors, services

_PARSED: LRUCache = LRUCache(maxsize=512)  # (schema id, fingerprint) -> fastavro's parsed schema
_LOCK = threading.Lock()


def _fastavro(schema_id: int) -> Any:
    schema = selectors.schema_get(schema_id)
    if schema.schema_type != "AVRO":
        raise errors.InvalidSchemaError(f"Schema {schema_id} is {schema.schema_type}, not Avro.")
    key = (schema.pk, schema.fingerprint)
    with _LOCK:
        parsed = _PARSED.get(key)
    if parsed is None:
        names = dict(selectors.parsed(schema).tree.names)
        parsed = parse_schema(json.loads(schema.text), named_schemas=names)
        with _LOCK:
            _PARSED[key] = parsed
    return parsed


class RegistryResolver:
    def schema_for(self, subject: str) -> tuple[int, Any]:
        """The latest live version of ``subject``: (its global id, the schema to write with)."""
        live = [ref for ref in selectors.subject_versions(subject) if not ref.deleted]
        if not live:
            raise errors.SubjectNotFound(f"Subject '{subject}' not found.")
        return live[-1].schema_id, _fastavro(live[-1].schema_id)

    def schema_by_id(self, schema_id: int) -> Any:
        return _fastavro(schema_id)

    def register(self, subject: str, schema: str) -> tuple[int, bool]:
        result = services.register(subject=subject, data=services.SchemaInput(schema), actor="system:topics")
        return result.schema.pk, result.created
