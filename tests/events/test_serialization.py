"""The wire: CloudEvents binary and structured modes, JSON data, Avro in the Confluent wire format."""

from __future__ import annotations

import json
import struct

import pytest
from fastavro import parse_schema

from dictamesh.events.envelope import EnvelopeError, Event
from dictamesh.events.serialization import avro_decode, avro_encode, decode

SCHEMA = parse_schema(
    {
        "type": "record",
        "name": "Order",
        "namespace": "dm.test",
        "fields": [{"name": "id", "type": "string"}, {"name": "total", "type": "long"}],
    }
)


def test_binary_mode_round_trip():
    event = Event(
        type="dictamesh.shop.order.created",
        source="dictamesh",
        subject="dm:o:1",
        data={"a": [1, 2]},
        actor="user:x",
        traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01",
    )
    decoded = decode(json.dumps(event.data).encode(), event.headers())
    assert decoded == event


def test_structured_mode_is_accepted():
    event = Event(type="t.x", source="s", subject="dm:1", data={"k": "v"})
    decoded = decode(
        json.dumps(event.as_dict()).encode(), [("content-type", b"application/cloudevents+json")]
    )
    assert decoded.id == event.id and decoded.data == {"k": "v"} and decoded.time == event.time


def test_confluent_wire_format_round_trip():
    value = avro_encode(42, SCHEMA, {"id": "o-1", "total": 1234})
    assert value[0] == 0 and struct.unpack(">I", value[1:5])[0] == 42  # magic byte, big-endian schema id
    schema_id, data = avro_decode(value, {42: SCHEMA}.__getitem__)
    assert schema_id == 42 and data == {"id": "o-1", "total": 1234}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"\x01\x00\x00\x00\x2a", "magic byte"),
        (b"\x00\x00", "magic byte"),
        (b"\x00\x00\x00\x00\x07\x02", "cannot be resolved"),
        (b"\x00\x00\x00\x00\x2a\xff", "does not match schema 42"),
    ],
)
def test_bad_avro_is_an_envelope_error(value, message):
    with pytest.raises(EnvelopeError, match=message):
        avro_decode(value, {42: SCHEMA}.__getitem__)


def test_consumer_spans_continue_the_publishers_trace():
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    from dictamesh.events.consumers import _span

    span = TracerProvider().get_tracer("t").start_span("publish")
    context = span.get_span_context()
    parent = f"00-{context.trace_id:032x}-{context.span_id:016x}-01"
    event = Event(type="t.x", source="s", subject="dm:1", data={}, traceparent=parent)
    with _span(event, "topic"):
        assert trace.get_current_span().get_span_context().trace_id == context.trace_id
    with _span(Event(type="t.x", source="s", subject="dm:1", data={}), "topic"):
        assert trace.get_current_span().get_span_context().trace_id != context.trace_id
