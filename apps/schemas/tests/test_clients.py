"""Confluent's own Python clients against a live DictaMesh: the registry client, and Avro serializers
round-tripping real messages through the Kafka broker with auto-registration."""

from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from apps.schemas.tests.conftest import field, record
from dictamesh.events.admin_ops import admin_client
from dictamesh.events.producer import client_config

pytestmark = pytest.mark.django_db(transaction=True)
V1 = record("Payment", field("id", "string"), field("amount", "int"), namespace="com.shop")
V2 = record(
    "Payment",
    field("id", "string"),
    field("amount", "long"),
    field("currency", "string", default="EUR"),
    namespace="com.shop",
)
BAD = record(
    "Payment", field("id", "string"), field("amount", "long"), field("payer", "string"), namespace="com.shop"
)


@pytest.fixture
def registry(live_server, user, token):
    client = SchemaRegistryClient(
        {"url": f"{live_server.url}/schema-registry", "basic.auth.user.info": f"{user.username}:{token}"}
    )
    yield client
    client.__exit__()


def test_registry_client_calls(registry):
    subject = "payments-value"
    first = registry.register_schema(subject, Schema(V1, "AVRO"))
    second = registry.register_schema(subject, Schema(V2, "AVRO"))
    assert (first, second) == (1, 2)
    assert json.loads(registry.get_schema(first).schema_str) == json.loads(V1)
    latest = registry.get_latest_version(subject)
    assert (latest.version, latest.schema_id) == (2, 2)
    assert registry.get_version(subject, 1).schema_id == 1
    assert registry.lookup_schema(subject, Schema(V1, "AVRO")).version == 1
    assert registry.get_subjects() == [subject]
    assert registry.get_versions(subject) == [1, 2]
    assert registry.test_compatibility(subject, Schema(V2, "AVRO")) is True
    assert registry.test_compatibility(subject, Schema(BAD, "AVRO")) is False
    with pytest.raises(SchemaRegistryError) as rejected:
        registry.register_schema(subject, Schema(BAD, "AVRO"))
    assert (rejected.value.http_status_code, rejected.value.error_code) == (409, 409)

    registry.set_compatibility(subject, "NONE")
    assert registry.get_compatibility(subject) == "NONE"
    assert registry.get_compatibility() == "BACKWARD"
    assert registry.register_schema(subject, Schema(BAD, "AVRO")) == 3

    assert registry.delete_version(subject, 3) == 3
    assert registry.get_versions(subject) == [1, 2]
    assert registry.delete_subject(subject) == [1, 2]
    with pytest.raises(SchemaRegistryError) as gone:
        registry.get_versions(subject)
    assert gone.value.error_code == 40401
    assert registry.delete_subject(subject, permanent=True) == [1, 2, 3]
    with pytest.raises(SchemaRegistryError) as missing:
        registry.get_version(subject, 1)
    assert missing.value.error_code == 40401


JSON_V1 = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Shipment",
        "type": "object",
        "properties": {"id": {"type": "string"}, "weight": {"type": "number", "minimum": 0}},
        "required": ["id"],
    }
)


def round_trip(serializer, deserializer, values: list[dict]) -> tuple[str, list, set]:
    """Produce ``values`` to a new topic with ``serializer``, read them back with ``deserializer``."""
    topic = f"shop-{uuid.uuid4().hex[:10]}"
    admin = admin_client()  # kept alive until the topic exists
    [future] = admin.create_topics([NewTopic(topic, 1, 1)]).values()
    future.result(timeout=30)
    producer = Producer(client_config())
    for value in values:
        producer.produce(topic, value=serializer(value, SerializationContext(topic, MessageField.VALUE)))
    assert producer.flush(30) == 0
    consumer = Consumer(
        client_config(**{"group.id": f"g-{uuid.uuid4().hex}", "auto.offset.reset": "earliest"})
    )
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])  # no group join to wait for
    received, ids = [], set()
    try:
        for _ in range(60):
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            assert message.value()[0] == 0  # Confluent wire format: magic byte, then the schema id
            ids.add(int.from_bytes(message.value()[1:5], "big"))
            received.append(deserializer(message.value(), SerializationContext(topic, MessageField.VALUE)))
            if len(received) == len(values):
                break
    finally:
        consumer.close()
    return topic, received, ids


def test_avro_messages_round_trip_through_kafka_with_auto_registration(registry):
    sent = [{"id": f"p{i}", "amount": i * 100} for i in range(5)]
    serializer = AvroSerializer(registry, V1, conf={"auto.register.schemas": True})
    topic, received, ids = round_trip(serializer, AvroDeserializer(registry), sent)
    assert received == sent
    assert ids == {registry.get_latest_version(f"{topic}-value").schema_id}  # registered by the serializer


def test_json_messages_round_trip_through_kafka_with_auto_registration(registry):
    sent = [{"id": f"s{i}", "weight": i * 1.5} for i in range(5)]
    serializer = JSONSerializer(JSON_V1, registry, conf={"auto.register.schemas": True})
    deserializer = JSONDeserializer(
        None, schema_registry_client=registry
    )  # the schema comes from the registry
    topic, received, ids = round_trip(serializer, deserializer, sent)
    assert received == sent
    latest = registry.get_latest_version(f"{topic}-value")
    assert ids == {latest.schema_id} and latest.schema.schema_type == "JSON"
    with pytest.raises(Exception, match="minimum|less than"):  # the serializer validates against the schema
        serializer({"id": "x", "weight": -1}, SerializationContext(topic, MessageField.VALUE))


def payment_class():
    """A Protobuf message class built from a descriptor (what protoc would generate)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    field = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(name="shop/payment.proto", package="shop.v1", syntax="proto3")
    message = proto.message_type.add(name="Payment")
    message.field.add(name="id", number=1, type=field.TYPE_STRING, label=field.LABEL_OPTIONAL, json_name="id")
    message.field.add(
        name="amount", number=2, type=field.TYPE_INT64, label=field.LABEL_OPTIONAL, json_name="amount"
    )
    message.field.add(
        name="tags", number=3, type=field.TYPE_STRING, label=field.LABEL_REPEATED, json_name="tags"
    )
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(proto.SerializeToString())
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.v1.Payment"))


def test_protobuf_messages_round_trip_through_kafka_with_auto_registration(registry):
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer

    payment = payment_class()
    sent = [payment(id=f"p{i}", amount=i * 100, tags=["a", "b"][: i % 3]) for i in range(5)]
    serializer = ProtobufSerializer(payment, registry, conf={"auto.register.schemas": True})
    # the deserializer resolves the writer's schema from the registry (format=serialized)
    deserializer = ProtobufDeserializer(payment, schema_registry_client=registry)
    topic, received, ids = round_trip(serializer, deserializer, sent)
    assert received == sent
    latest = registry.get_latest_version(f"{topic}-value")
    assert ids == {latest.schema_id} and latest.schema.schema_type == "PROTOBUF"
    assert (
        "message Payment {" in latest.schema.schema_str
        and "repeated string tags = 3;" in latest.schema.schema_str
    )
