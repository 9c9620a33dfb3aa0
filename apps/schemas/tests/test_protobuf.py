"""Protobuf: .proto text or base64 descriptors in, .proto text stored, descriptors served; Confluent's rules."""

from __future__ import annotations

import base64

import pytest
from google.protobuf import descriptor_pb2

from apps.schemas.formats import InvalidSchema, get_format
from apps.schemas.formats.protobuf import descriptor

PROTO = get_format("PROTOBUF")
ORDER = """syntax = "proto3";
package shop.v1;

message Order {
  string id = 1;
  repeated Line lines = 2;
  map<string, int64> counts = 3;
  oneof payment {
    string card = 4;
    string iban = 5;
  }
  Status status = 6;
  message Line { string sku = 1; int32 qty = 2; }
  enum Status { UNKNOWN = 0; PAID = 1; }
}
"""


def parse(text: str):
    return PROTO.parse(text, [])


def kinds(reader: str, writer: str) -> list[str]:
    return [
        p.error_type
        for p in PROTO.incompatibilities(reader=parse(reader), writer=parse(writer), new_is_reader=True)
    ]


def with_fields(*fields: str, package: str = "shop.v1", syntax: str = "proto3") -> str:
    body = "\n".join(f"  {f}" for f in fields)
    return f'syntax = "{syntax}";\npackage {package};\nmessage M {{\n{body}\n}}\nmessage Other {{ string x = 1; }}\n'


def test_text_is_stored_rendered_and_a_descriptor_round_trips():
    parsed = parse(ORDER)
    assert "map<string, int64> counts = 3;" in parsed.text and "oneof payment {" in parsed.text
    assert "repeated Order.Line lines = 2;" in parsed.text  # type names: canonical, relative to the package
    assert parse(parsed.text).text == parsed.text  # the rendering is a fixed point
    proto = descriptor(parsed.tree)
    order = proto.message_type[0]
    assert [f.name for f in order.field] == ["id", "lines", "counts", "card", "iban", "status"]
    assert order.field[1].type_name == ".shop.v1.Order.Line"
    assert order.field[5].type == descriptor_pb2.FieldDescriptorProto.TYPE_ENUM
    assert order.nested_type[0].options.map_entry  # CountsEntry
    # what Confluent's serializers send: base64 of the FileDescriptorProto; it parses to the same schema
    sent = base64.b64encode(proto.SerializeToString()).decode()
    assert parse(sent).text == parsed.text
    assert parse(PROTO.serialized(parsed)).text == parsed.text


@pytest.mark.parametrize(
    ("reader", "writer", "expected"),
    [
        (with_fields("string a = 1;"), with_fields("string a = 1;"), []),
        (with_fields("string a = 1;", "int32 b = 2;"), with_fields("string a = 1;"), []),  # added field
        (with_fields("string a = 1;"), with_fields("string a = 1;", "int32 b = 2;"), []),  # removed field
        (with_fields("int64 a = 1;"), with_fields("int32 a = 1;"), []),  # one wire group
        (with_fields("bytes a = 1;"), with_fields("string a = 1;"), []),
        (with_fields("sint64 a = 1;"), with_fields("int64 a = 1;"), ["FIELD_SCALAR_KIND_CHANGED"]),
        (with_fields("double a = 1;"), with_fields("float a = 1;"), ["FIELD_SCALAR_KIND_CHANGED"]),
        (with_fields("Other a = 1;"), with_fields("string a = 1;"), ["FIELD_KIND_CHANGED"]),
        (with_fields("M a = 1;"), with_fields("Other a = 1;"), ["FIELD_NAMED_TYPE_CHANGED"]),
        (with_fields("string a = 1;", package="shop.v2"), with_fields("string a = 1;"), ["PACKAGE_CHANGED"]),
        (with_fields("oneof o { string a = 1; }"), with_fields("oneof o { string a = 1; }"), []),
        (with_fields("string a = 1;"), with_fields("oneof o { string a = 1; }"), ["ONEOF_FIELD_REMOVED"]),
        (
            with_fields("oneof o { string a = 1; string b = 2; }"),
            with_fields("string a = 1;", "string b = 2;"),
            ["MULTIPLE_FIELDS_MOVED_TO_ONEOF"],
        ),
        (
            with_fields("required string a = 1;", "required int32 b = 2;", syntax="proto2"),
            with_fields("required string a = 1;", syntax="proto2"),
            ["REQUIRED_FIELD_ADDED"],
        ),
        (
            with_fields("optional string a = 1;", syntax="proto2"),
            with_fields("required string a = 1;", syntax="proto2"),
            ["REQUIRED_FIELD_REMOVED"],
        ),
        (
            'syntax = "proto3";\npackage shop.v1;\nmessage Other { string x = 1; }\n',
            with_fields("string a = 1;"),
            ["MESSAGE_REMOVED"],
        ),
    ],
)
def test_rules(reader, writer, expected):
    assert kinds(reader, writer) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("message { nope", "line 1"),
        ('syntax = "proto3"; message M { Missing m = 1; }', "unknown type 'Missing'"),
        ('syntax = "proto3"; message M { string a = 1; string b = 1; }', "used twice"),
        ('syntax = "proto3"; import "other.proto"; message M { string a = 1; }', "has no reference"),
        ('syntax = "proto3";', "no message"),
    ],
)
def test_invalid_schemas_say_why(text, reason):
    with pytest.raises(InvalidSchema, match=reason):
        parse(text)


def test_well_known_types_resolve_without_references():
    text = (
        'syntax = "proto3";\nimport "google/protobuf/timestamp.proto";\n'
        "message E { google.protobuf.Timestamp at = 1; }\n"
    )
    assert "google.protobuf.Timestamp at = 1;" in parse(text).text
