"""Event data on the wire: JSON, or Avro in the Confluent wire format (magic byte 0, 4-byte schema id, body).

Avro needs a schema registry: ``settings.DICTAMESH_SCHEMA_RESOLVER`` names an object with
``schema_for(subject) -> (schema_id, schema)``, ``schema_by_id(schema_id) -> schema`` and
``register(subject, schema_text) -> (schema_id, created)``; the schema registry app provides it
(``apps.schemas.resolver.RegistryResolver``, the default). Without one, topics declared ``format="avro"`` are
published as JSON, and an Avro record cannot be decoded (it goes to the dead-letter topic with that reason).
Topic sync registers a topic's declared ``avro_schema`` as ``<topic>-value``.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import replace
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .envelope import AVRO, JSON, STRUCTURED, EnvelopeError, Event, from_attributes, header_dict, structured
from .topics import Topic

MAGIC = 0


class SchemaResolver(Protocol):
    def schema_for(self, subject: str) -> tuple[int, Any]: ...

    def schema_by_id(self, schema_id: int) -> Any: ...

    def register(self, subject: str, schema: str) -> tuple[int, bool]: ...  # (schema id, newly registered)


@cache
def resolver() -> SchemaResolver | None:
    path = getattr(settings, "DICTAMESH_SCHEMA_RESOLVER", None)
    return import_string(path)() if path else None


def avro_encode(schema_id: int, parsed_schema: Any, data: Any) -> bytes:
    from fastavro import schemaless_writer

    buffer = io.BytesIO()
    buffer.write(struct.pack(">bI", MAGIC, schema_id))
    schemaless_writer(buffer, parsed_schema, data)
    return buffer.getvalue()


def avro_decode(value: bytes, schema_by_id) -> tuple[int, Any]:
    from fastavro import schemaless_reader

    if len(value) < 5 or value[0] != MAGIC:
        raise EnvelopeError("not in the Confluent wire format (magic byte 0 + schema id)")
    schema_id = struct.unpack(">I", value[1:5])[0]
    try:
        schema = schema_by_id(schema_id)
    except Exception as exc:  # noqa: BLE001 - any lookup failure makes the record undecodable
        raise EnvelopeError(f"schema id {schema_id} cannot be resolved: {exc}") from exc
    try:
        return schema_id, schemaless_reader(io.BytesIO(value[5:]), schema, None)
    except Exception as exc:  # noqa: BLE001 - corrupt body
        raise EnvelopeError(f"Avro body does not match schema {schema_id}: {exc}") from exc


def encode(topic: Topic, event: Event) -> tuple[bytes, Event]:
    """The record value for ``event`` on ``topic`` and the event as published (content type, schema)."""
    registry = resolver() if topic.format == "avro" else None
    if registry is not None:
        schema_id, schema = registry.schema_for(f"{topic.name}-value")
        value = avro_encode(schema_id, schema, event.data)
        return value, replace(event, datacontenttype=AVRO, dataschema=f"schema:{schema_id}")
    return json.dumps(event.data, separators=(",", ":")).encode(), event


def encode_stored(topic: Topic, event: Event, data_json: str) -> tuple[bytes, Event]:
    """Like encode(), for data already stored as JSON text: JSON topics send the text as it is."""
    if topic.format == "avro" and resolver() is not None:
        return encode(topic, replace(event, data=json.loads(data_json)))
    return data_json.encode(), event


def decode(value: bytes | None, headers: list[tuple[str, bytes | None]] | None) -> Event:
    """A Kafka record back into an Event; EnvelopeError when it is not one."""
    if value is None:
        raise EnvelopeError("record has no value (tombstone)")
    attributes = {k[3:]: v for k, v in header_dict(headers).items() if k.startswith("ce_")}
    content_type = header_dict(headers).get("content-type", "")
    if not attributes:
        if content_type.startswith(STRUCTURED) or value[:1] == b"{":
            return structured(value)
        raise EnvelopeError("record carries no CloudEvents attributes")
    if content_type.startswith(AVRO) or (value[:1] == b"\x00" and not content_type.startswith(JSON)):
        registry = resolver()
        if registry is None:
            raise EnvelopeError("Avro record but no schema registry is configured to decode it")
        _, data = avro_decode(value, registry.schema_by_id)
        return from_attributes(attributes, data, AVRO)
    try:
        data = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EnvelopeError(f"data is not JSON: {exc}") from exc
    return from_attributes(attributes, data, content_type or JSON)
