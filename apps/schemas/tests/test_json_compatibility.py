"""JSON Schema: a reader reads a writer's documents when it accepts all of them (it may only loosen)."""

from __future__ import annotations

import json

import pytest

from apps.schemas.formats import InvalidSchema, get_format

JSON = get_format("JSON")


def parse(schema) -> object:
    return JSON.parse(json.dumps(schema), [])


def kinds(reader, writer) -> list[str]:
    return [
        p.error_type
        for p in JSON.incompatibilities(reader=parse(reader), writer=parse(writer), new_is_reader=True)
    ]


def obj(props: dict | None = None, **extra) -> dict:
    return {"type": "object", "properties": props or {}, **extra}


STR, INT, NUM = {"type": "string"}, {"type": "integer"}, {"type": "number"}
CASES = [
    (STR, STR, []),
    (NUM, INT, []),  # every integer is a number
    (INT, NUM, ["TYPE_NARROWED"]),
    (STR, INT, ["TYPE_CHANGED"]),
    ({"type": ["string", "null"]}, STR, []),
    (STR, {"type": ["string", "null"]}, ["TYPE_NARROWED"]),
    ({"type": "string", "maxLength": 10}, STR, ["MAX_LENGTH_ADDED"]),
    ({"type": "string", "maxLength": 10}, {"type": "string", "maxLength": 20}, ["MAX_LENGTH_DECREASED"]),
    ({"type": "string", "maxLength": 30}, {"type": "string", "maxLength": 20}, []),
    (STR, {"type": "string", "maxLength": 20}, []),
    ({"type": "string", "minLength": 2}, {"type": "string", "minLength": 1}, ["MIN_LENGTH_INCREASED"]),
    ({"type": "string", "pattern": "^a"}, STR, ["PATTERN_ADDED"]),
    ({"type": "string", "pattern": "^a"}, {"type": "string", "pattern": "^b"}, ["PATTERN_CHANGED"]),
    ({"type": "integer", "maximum": 5}, {"type": "integer", "maximum": 9}, ["MAXIMUM_DECREASED"]),
    ({"type": "integer", "minimum": 0}, INT, ["MINIMUM_ADDED"]),
    ({"type": "integer", "multipleOf": 2}, {"type": "integer", "multipleOf": 4}, []),
    ({"type": "integer", "multipleOf": 4}, {"type": "integer", "multipleOf": 2}, ["MULTIPLE_OF_CHANGED"]),
    ({"enum": ["a", "b", "c"]}, {"enum": ["a", "b"]}, []),
    ({"enum": ["a"]}, {"enum": ["a", "b"]}, ["ENUM_ARRAY_NARROWED"]),
    ({"enum": ["a"]}, STR, ["ENUM_ARRAY_CHANGED"]),
    (obj({"a": STR}), obj({"a": STR, "b": INT}), []),  # open reader: the extra property is fine
    (obj({"a": STR, "b": INT}), obj({"a": STR}), ["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]),
    (obj({"a": STR, "b": INT}), obj({"a": STR}, additionalProperties=False), []),
    (
        obj({"a": STR}, additionalProperties=False),
        obj({"a": STR, "b": INT}, additionalProperties=False),
        ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"],
    ),
    (obj({"a": STR}, additionalProperties=False), obj({"a": STR}), ["ADDITIONAL_PROPERTIES_REMOVED"]),
    (obj({"a": STR}), obj({"a": STR}, additionalProperties=False), []),
    (obj({"a": STR}, additionalProperties=STR), obj({"a": STR}), ["ADDITIONAL_PROPERTIES_NARROWED"]),
    (obj({"a": STR}, required=["a"]), obj({"a": STR}), ["REQUIRED_ATTRIBUTE_ADDED"]),
    (obj({"a": STR}), obj({"a": STR}, required=["a"]), []),
    (obj({"a": INT}), obj({"a": STR}), ["TYPE_CHANGED"]),
    ({"type": "array", "items": NUM}, {"type": "array", "items": INT}, []),
    ({"type": "array", "items": INT}, {"type": "array", "items": NUM}, ["TYPE_NARROWED"]),
    ({"type": "array", "items": STR, "maxItems": 3}, {"type": "array", "items": STR}, ["MAX_ITEMS_ADDED"]),
    ({"type": "array", "uniqueItems": True}, {"type": "array"}, ["UNIQUE_ITEMS_ADDED"]),
    ({"oneOf": [STR, INT]}, STR, []),
    ({"oneOf": [STR, INT]}, {"type": "boolean"}, ["COMBINED_TYPE_SUBSCHEMAS_CHANGED"]),
    ({"anyOf": [STR, INT, {"type": "boolean"}]}, {"anyOf": [STR, INT]}, []),
    ({"anyOf": [STR]}, {"anyOf": [STR, INT]}, ["COMBINED_TYPE_SUBSCHEMAS_CHANGED"]),
    (True, STR, []),
    (False, STR, ["SCHEMA_NARROWED"]),
]


@pytest.mark.parametrize(("reader", "writer", "expected"), CASES)
def test_rules(reader, writer, expected):
    assert kinds(reader, writer) == expected


def test_local_references_are_followed_and_paths_reported():
    writer = {"$defs": {"money": {"type": "number"}}, **obj({"total": {"$ref": "#/$defs/money"}})}
    reader = {"$defs": {"money": {"type": "integer"}}, **obj({"total": {"$ref": "#/$defs/money"}})}
    [issue] = JSON.incompatibilities(reader=parse(reader), writer=parse(writer), new_is_reader=True)
    assert (issue.error_type, issue.path) == ("TYPE_NARROWED", "#/properties/total/type")


def test_recursive_schemas_terminate():
    tree = obj({"value": INT, "children": {"type": "array", "items": {"$ref": "#"}}})
    assert kinds(tree, tree) == []


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ('{"type": "strang"}', "Invalid schema at type"),
        ('{"type": "object", "properties": {"a": {"$ref": "#/definitions/nope"}}}', "unresolved \\$ref"),
        ('{"$ref": "other.json"}', "unresolved \\$ref"),
        ("[1, 2]", "object or a boolean"),
        ("{nope", "not JSON"),
    ],
)
def test_invalid_schemas_say_why(schema, reason):
    with pytest.raises(InvalidSchema, match=reason):
        JSON.parse(schema, [])
