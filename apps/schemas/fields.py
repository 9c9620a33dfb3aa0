"""The fields a schema declares, flattened (``parent.child``), with their types as text."""

from __future__ import annotations

import json
from typing import Any

from dictamesh.errors import ValidationError

MAX_DEPTH = 10


def fields_of(schema_type: str, text: str) -> dict[str, str]:
    try:
        if schema_type == "AVRO":
            return _avro(json.loads(text), "", {}, 0)
        if schema_type == "JSON":
            return _json_schema(json.loads(text), "", 0)
        if schema_type == "PROTOBUF":
            return _protobuf(text)
        if schema_type == "GRAPHQL":
            return _graphql(text)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValidationError(
            f"The {schema_type} schema cannot be read: {exc}.", fields={"schema": "invalid"}
        ) from exc
    raise ValidationError(f"Unknown schema type {schema_type!r}.", fields={"schemaType": "unknown"})


def _avro_type(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "|".join(_avro_type(n) for n in node)
    if isinstance(node, dict):
        kind = node.get("type")
        if kind in ("record", "enum", "fixed"):
            return node.get("name", kind)
        if kind == "array":
            return f"array<{_avro_type(node.get('items'))}>"
        if kind == "map":
            return f"map<{_avro_type(node.get('values'))}>"
        return node.get("logicalType") or _avro_type(kind)
    return str(node)


def _avro(node: Any, prefix: str, named: dict, depth: int) -> dict[str, str]:
    out: dict[str, str] = {}
    if depth > MAX_DEPTH or not isinstance(node, dict) or node.get("type") != "record":
        return out
    named[node.get("name", "")] = node
    for f in node.get("fields", []):
        name = prefix + f["name"]
        out[name] = _avro_type(f["type"])
        inner = f["type"]
        for candidate in inner if isinstance(inner, list) else [inner]:
            if isinstance(candidate, dict) and candidate.get("type") == "record":
                out.update(_avro(candidate, name + ".", named, depth + 1))
    return out


def _json_schema(node: Any, prefix: str, depth: int) -> dict[str, str]:
    out: dict[str, str] = {}
    if depth > MAX_DEPTH or not isinstance(node, dict):
        return out
    for name, prop in (node.get("properties") or {}).items():
        key = prefix + name
        kind = prop.get("type", prop.get("$ref", "any")) if isinstance(prop, dict) else "any"
        out[key] = "|".join(kind) if isinstance(kind, list) else str(kind)
        if isinstance(prop, dict) and prop.get("properties"):
            out.update(_json_schema(prop, key + ".", depth + 1))
    return out


def _protobuf(text: str) -> dict[str, str]:
    from .formats.protobuf import _from_text

    pfile = _from_text(text)
    if not pfile.messages:
        return {}
    out: dict[str, str] = {}

    def walk(message, prefix: str, depth: int) -> None:
        nested = {m.name: m for m in message.messages}
        for f in message.fields:
            out[prefix + f.name] = f"{f.label} {f.type}".strip() if f.label == "repeated" else f.type
            if f.type in nested and depth < MAX_DEPTH:
                walk(nested[f.type], prefix + f.name + ".", depth + 1)

    walk(pfile.messages[0], "", 0)
    return out


def _graphql(text: str) -> dict[str, str]:
    from graphql import GraphQLObjectType, build_schema

    schema = build_schema(text)
    out = {}
    for name, kind in schema.type_map.items():
        if name.startswith("__") or not isinstance(kind, GraphQLObjectType):
            continue
        for field_name, f in kind.fields.items():
            out[f"{name}.{field_name}"] = str(f.type)
    return out


def descriptions_of(schema_type: str, text: str) -> dict[str, str]:
    """What a schema says of its fields (Avro ``doc``, JSON Schema ``description``), by the same flattened
    names as ``fields_of``; other formats (and undocumented fields) say nothing."""
    try:
        tree = json.loads(text) if schema_type in ("AVRO", "JSON") else None
    except ValueError:
        return {}
    out: dict[str, str] = {}

    def avro(node: Any, prefix: str, depth: int) -> None:
        if depth > MAX_DEPTH or not isinstance(node, dict) or node.get("type") != "record":
            return
        for f in node.get("fields", []):
            if isinstance(f, dict) and isinstance(f.get("name"), str):
                if isinstance(f.get("doc"), str):
                    out[prefix + f["name"]] = f["doc"]
                for inner in f["type"] if isinstance(f.get("type"), list) else [f.get("type")]:
                    avro(inner, prefix + f["name"] + ".", depth + 1)

    def json_schema(node: Any, prefix: str, depth: int) -> None:
        if depth > MAX_DEPTH or not isinstance(node, dict):
            return
        for name, prop in (node.get("properties") or {}).items():
            if isinstance(prop, dict):
                if isinstance(prop.get("description"), str):
                    out[prefix + name] = prop["description"]
                json_schema(prop, prefix + name + ".", depth + 1)

    if schema_type == "AVRO":
        avro(tree, "", 0)
    elif schema_type == "JSON":
        json_schema(tree, "", 0)
    return out
