"""Typed live records in GraphQL: an object type per kind of record, made from its schema where known.

``Entity.record`` is a union (``LiveRecord``) of:
- ``TableState`` (PostgreSQL tables) and ``TopicState`` (Kafka topics): their adapters' live states;
- for each REST resource whose configuration has a ``schema`` (JSON Schema), a type of its own,
  ``<Instance><Type>Record`` (``DemoCrmCustomerRecord``), with a field per property: strings, integers
  (BigInt), numbers, booleans, and JSON for the rest.

Adapter instances change while DictaMesh runs: the schema is made again when they do (``generation``, a
counter in Redis each instance change bumps, read at most once a second per process).
"""

from __future__ import annotations

import logging
import re
import threading

import graphene
from graphene.types.generic import GenericScalar

logger = logging.getLogger("dictamesh.adapters")
INSTANCES = "adapters.instances"  # the config version of adapter instances (schema, live adapters)


def _pascal(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def _attname(name: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", name) or "field"
    if base[0].isdigit() or base.startswith("__"):
        base = f"f_{base}"
    attname, n = base, 1
    while attname in taken:
        n += 1
        attname = f"{base}_{n}"
    taken.add(attname)
    return attname


def _scalar(schema: dict):
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return {"string": graphene.String, "integer": graphene.BigInt, "number": graphene.Float,
            "boolean": graphene.Boolean}.get(kind, GenericScalar)  # fmt: skip


def _getter(key: str):
    def resolve(root, info):
        return root.get(key) if isinstance(root, dict) else None

    return resolve


def object_type(name: str, schema: dict, description: str) -> type[graphene.ObjectType]:
    """A graphene type with a field per property of a JSON Schema (each read from the record by its key)."""
    taken: set[str] = set()
    attrs: dict = {}
    for key, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict):
            continue
        attname = _attname(key, taken)
        field_name = (
            key if re.fullmatch(r"[_A-Za-z][_0-9A-Za-z]*", key) and not key.startswith("__") else attname
        )
        attrs[attname] = graphene.Field(_scalar(spec), name=field_name, description=spec.get("description"),
                                        resolver=_getter(key))  # fmt: skip
    if not attrs:
        attrs["data"] = graphene.Field(GenericScalar, resolver=lambda root, info: root)
    attrs["Meta"] = type("Meta", (), {"name": name, "description": description})
    return type(name, (graphene.ObjectType,), attrs)


class TableState(graphene.ObjectType):
    class Meta:
        description = "A PostgreSQL table's live state."

    rows_estimate = graphene.BigInt()
    live_rows = graphene.BigInt()
    size_bytes = graphene.BigInt()
    inserted = graphene.BigInt()
    updated = graphene.BigInt()
    deleted = graphene.BigInt()
    last_analyzed = graphene.String()
    last_vacuumed = graphene.String()


class TopicPartitionState(graphene.ObjectType):
    partition = graphene.Int(required=True)
    low = graphene.BigInt(required=True)
    high = graphene.BigInt(required=True)


class TopicState(graphene.ObjectType):
    class Meta:
        description = "A Kafka topic's live offsets."

    topic = graphene.String(required=True)
    messages = graphene.BigInt(required=True)
    partitions = graphene.List(graphene.NonNull(TopicPartitionState), required=True)


STATIC = {("postgresql", "table"): "TableState", ("kafka", "topic"): "TopicState"}


def _instances():
    from .models import AdapterInstance

    return list(AdapterInstance.objects.filter(enabled=True).order_by("name"))


def typename_map() -> dict[tuple[str, str], str]:
    """{(instance, entity type): GraphQL type name} of every typed record."""
    found: dict[tuple[str, str], str] = {}
    try:
        instances = _instances()
    except Exception:  # noqa: BLE001 - no database yet (a schema built before migrations): static types only
        return found
    for row in instances:
        for (kind, entity_type), name in STATIC.items():
            if row.kind == kind:
                found[(row.name, entity_type)] = name
        if row.kind == "rest":
            for resource in (row.config or {}).get("resources", []):
                if (
                    isinstance(resource, dict)
                    and isinstance(resource.get("schema"), dict)
                    and resource.get("type")
                ):
                    found[(row.name, resource["type"])] = (
                        f"{_pascal(row.name)}{_pascal(resource['type'])}Record"
                    )
    return found


_state_lock = threading.Lock()
_typenames: dict[tuple[str, str], str] = {}


def record_union() -> type[graphene.Union]:
    """The ``LiveRecord`` union as adapter instances are now (made when the schema is)."""
    global _typenames
    types: dict[str, type] = {"TableState": TableState, "TopicState": TopicState}
    mapping = typename_map()
    try:
        instances = {row.name: row for row in _instances()} if mapping else {}
    except Exception:  # noqa: BLE001
        instances = {}
    for (instance, entity_type), name in mapping.items():
        if name in types:
            continue
        row = instances.get(instance)
        resource = next(
            (r for r in (row.config if row else {}).get("resources", []) if r.get("type") == entity_type),
            None,
        )
        if resource is not None:
            types[name] = object_type(
                name, resource["schema"], f"A {entity_type} record of {instance} (REST)."
            )
    with _state_lock:
        _typenames = mapping

    description = "An entity's live record, typed by its kind (schema) where known."
    meta = type(
        "Meta", (), {"name": "LiveRecord", "types": tuple(types.values()), "description": description}
    )
    return type("LiveRecord", (graphene.Union,), {"Meta": meta})


def typed(state: dict, data) -> dict | None:
    """The record with its GraphQL type name, or None when its kind has no type."""
    with _state_lock:
        name = _typenames.get((state["source"], state["type"]))
    if name is None or not isinstance(data, dict):
        return None
    return {**data, "__typename": name}


# -- generation: the schema is made again when instances change ----------------------------------------------
def bump_generation() -> None:
    """Instances changed (inside the change's transaction): every process makes its GraphQL schema and its
    live adapters again at its next request. A config version: PostgreSQL holds it, Redis only caches it."""
    from dictamesh import config_version

    config_version.bump(INSTANCES)


_last_generation = -1


def generation() -> int:
    """The schema generation: the adapter instances' config version (a cache hit while nothing moved). With
    the database unreachable, the last one read: the schema in use stays, and what needs the database fails
    on its own (503)."""
    global _last_generation
    from dictamesh import config_version

    try:
        _last_generation = config_version.current(INSTANCES)
    except Exception:  # noqa: BLE001 - the database away (or not allowed: a test collecting the schema)
        logger.debug("schema generation not read; keeping %d", _last_generation, exc_info=True)
    return _last_generation
