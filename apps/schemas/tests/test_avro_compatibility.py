"""Avro schema resolution, reader against writer: the cases of the Avro specification, one per row."""

from __future__ import annotations

import json

import pytest

from apps.schemas.formats import InvalidSchema, get_format
from apps.schemas.tests.conftest import field, record

AVRO = get_format("AVRO")


def parse(schema) -> object:
    text = schema if isinstance(schema, str) and schema.startswith("{") else json.dumps(schema)
    return AVRO.parse(text, [])


def problems(reader, writer) -> list[str]:
    found = AVRO.incompatibilities(reader=parse(reader), writer=parse(writer), new_is_reader=True)
    return [f"{p.error_type} {p.path}" for p in found]


def enum(name: str, symbols: list[str], **extra) -> dict:
    return {"type": "enum", "name": name, "symbols": symbols, **extra}


INT_RECORD = record("R", field("a", "int"))
CASES = [
    # (reader, writer, expected problems)
    ("int", "int", []),
    ("long", "int", []),
    ("float", "int", []),
    ("double", "int", []),
    ("float", "long", []),
    ("double", "long", []),
    ("double", "float", []),
    ("bytes", "string", []),
    ("string", "bytes", []),
    ("int", "long", ["TYPE_MISMATCH /"]),
    ("long", "float", ["TYPE_MISMATCH /"]),
    ("boolean", "int", ["TYPE_MISMATCH /"]),
    ("string", "null", ["TYPE_MISMATCH /"]),
    ({"type": "long", "logicalType": "timestamp-millis"}, "long", []),
    (record("R", field("a", "int"), field("b", "string", default="x")), INT_RECORD, []),
    (
        record("R", field("a", "int"), field("b", "string")),
        INT_RECORD,
        ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1"],
    ),
    (INT_RECORD, record("R", field("a", "int"), field("b", "string")), []),  # writer-only fields are skipped
    (record("R", field("a", "long")), INT_RECORD, []),
    (record("R", field("a", "string")), INT_RECORD, ["TYPE_MISMATCH /fields/0/type"]),
    (record("S", field("a", "int")), INT_RECORD, ["NAME_MISMATCH /name"]),
    (record("S", field("a", "int"), aliases=["R"]), INT_RECORD, []),
    (record("R", field("z", "int", aliases=["a"])), INT_RECORD, []),
    (record("R", field("z", "int")), INT_RECORD, ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/0"]),
    (
        record("R", field("a", "int"), namespace="com.x"),
        record("R", field("a", "int"), namespace="org.y"),
        [],
    ),
    (enum("E", ["A", "B", "C"]), enum("E", ["A", "B"]), []),
    (enum("E", ["A"]), enum("E", ["A", "B"]), ["MISSING_ENUM_SYMBOLS /symbols"]),
    (enum("E", ["A", "U"], default="U"), enum("E", ["A", "B"]), []),
    (enum("F", ["A"]), enum("E", ["A"]), ["NAME_MISMATCH /name"]),
    ({"type": "fixed", "name": "F", "size": 16}, {"type": "fixed", "name": "F", "size": 16}, []),
    (
        {"type": "fixed", "name": "F", "size": 8},
        {"type": "fixed", "name": "F", "size": 16},
        ["FIXED_SIZE_MISMATCH /size"],
    ),
    ({"type": "array", "items": "long"}, {"type": "array", "items": "int"}, []),
    ({"type": "array", "items": "int"}, {"type": "array", "items": "long"}, ["TYPE_MISMATCH /items"]),
    ({"type": "map", "values": "double"}, {"type": "map", "values": "float"}, []),
    ({"type": "map", "values": "int"}, {"type": "map", "values": "string"}, ["TYPE_MISMATCH /values"]),
    (["null", "string"], "string", []),
    (["null", "long"], "int", []),
    ("string", ["null", "string"], ["TYPE_MISMATCH /0"]),
    (["null", "string"], ["null", "string", "int"], ["MISSING_UNION_BRANCH /"]),
    (["null", "string", "int"], ["null", "string"], []),
    (["string", "null"], ["null", "string"], []),  # branch order does not matter
]


@pytest.mark.parametrize(("reader", "writer", "expected"), CASES)
def test_resolution(reader, writer, expected):
    assert problems(reader, writer) == expected


def test_nested_records_and_named_references_report_their_path():
    address_v1 = {"type": "record", "name": "Address", "fields": [field("city", "string")]}
    address_v2 = {
        "type": "record",
        "name": "Address",
        "fields": [field("city", "string"), field("zip", "string")],
    }
    writer = record("User", field("home", address_v1), field("work", "Address"))
    reader = record("User", field("home", address_v2), field("work", "Address"))
    assert problems(reader, writer) == [
        "READER_FIELD_MISSING_DEFAULT_VALUE /fields/0/type/fields/1",
        "READER_FIELD_MISSING_DEFAULT_VALUE /fields/1/type/fields/1",
    ]


def test_recursive_types_terminate():
    node = record("Node", field("value", "int"), field("next", ["null", "Node"], default=None))
    wider = record("Node", field("value", "long"), field("next", ["null", "Node"], default=None))
    assert problems(wider, node) == []
    assert problems(node, wider) == ["TYPE_MISMATCH /fields/0/type"]


def test_messages_name_the_field_and_the_schemas():
    reader = parse(record("R", field("a", "int"), field("b", "string")))
    [issue] = AVRO.incompatibilities(reader=reader, writer=parse(INT_RECORD), new_is_reader=True)
    assert issue.message() == (
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path '/fields/1' in the "
        "new schema has no default value and is missing in the old schema', additionalInfo:'b'}"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not JSON"),
        (record("R", field("a", "Nope")), "unknown type 'Nope'"),
        (record("R", field("a", "int", default="x")), "must match schema type"),
        ('{"type": "enum", "name": "E"}', "Invalid schema"),
    ],
)
def test_invalid_schemas_say_why(text, reason):
    with pytest.raises(InvalidSchema, match=reason):
        parse(text)


def test_whitespace_does_not_change_the_schema_but_normalize_also_ignores_key_order():
    a = parse('{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}')
    b = parse('{"name":"R","type":"record","fields":[{"type":"int","name":"a"}]}')
    c = parse('{ "type" : "record",\n "name": "R", "fields": [{"name": "a", "type": "int"}]}')
    assert a.text == c.text != b.text
    assert a.normalized == b.normalized == c.normalized
