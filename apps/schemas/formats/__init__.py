"""Schema formats: each parses a schema text (with its references) and tells whether a reader schema can
read what a writer schema wrote. ``get_format(type)`` gives the implementation of a schema type."""

from __future__ import annotations

from .base import Format, Incompatibility, InvalidSchema, Parsed, ResolvedReference


def get_format(schema_type: str) -> Format:
    from .avro import AVRO
    from .graphql_sdl import GRAPHQL
    from .jsonschema import JSON_SCHEMA
    from .protobuf import PROTOBUF

    formats = {"AVRO": AVRO, "JSON": JSON_SCHEMA, "PROTOBUF": PROTOBUF, "GRAPHQL": GRAPHQL}
    try:
        return formats[schema_type]
    except KeyError:
        raise InvalidSchema(f"Unsupported schema type {schema_type!r}.") from None


def supported_types() -> list[str]:
    """The types the Confluent API lists; GRAPHQL (SDL) is DictaMesh's own, accepted by every API."""
    return ["AVRO", "JSON", "PROTOBUF"]


__all__ = [
    "Format",
    "Incompatibility",
    "InvalidSchema",
    "Parsed",
    "ResolvedReference",
    "get_format",
    "supported_types",
]
