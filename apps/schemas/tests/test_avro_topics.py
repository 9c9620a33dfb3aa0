"""DictaMesh's own Avro topics use its registry: topic sync registers <topic>-value, the relay writes the
Confluent wire format with the registry's id, consumers decode with it."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import transaction

from apps.schemas import selectors
from apps.schemas.events import TOPICS as SCHEMA_TOPICS
from dictamesh.events import publish
from dictamesh.events.admin_ops import sync_topics
from dictamesh.events.envelope import AVRO
from dictamesh.events.registry import Registry
from dictamesh.events.relay import OutboxRelay
from dictamesh.events.serialization import decode
from dictamesh.events.topics import Topic
from tests.events.conftest import read_topic

APP = f"tavro{uuid.uuid4().hex[:8]}"
ORDER = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "namespace": "dm.test",
        "fields": [{"name": "id", "type": "string"}, {"name": "total", "type": "long"}],
    }
)
TOPIC = Topic(f"dictamesh.{APP}.orders.v1", partitions=1, format="avro", avro_schema=ORDER)
REGISTRY = Registry(topics=[TOPIC, *SCHEMA_TOPICS], consumers=[])  # the registry publishes its own events


@pytest.mark.django_db(transaction=True)
def test_avro_topic_round_trip_through_the_registry(settings):
    settings.DICTAMESH_EVENTS = "apps.schemas.tests.test_avro_topics"
    changes = sync_topics([TOPIC])
    assert [c.action for c in changes if c.topic == TOPIC.name] == ["created", "schema"]
    assert [c.action for c in sync_topics([TOPIC])] == []  # already there: nothing to do
    [ref] = selectors.subject_versions(f"{TOPIC.name}-value")

    with transaction.atomic():
        publish(type=f"dictamesh.{APP}.orders.created", subject="dm:o:1", data={"id": "o-1", "total": 1234})
    OutboxRelay().drain()
    [record] = read_topic(TOPIC.name, expected=1)
    value = record.value()
    assert value[0] == 0 and int.from_bytes(value[1:5], "big") == ref.schema_id  # Confluent wire format
    event = decode(value, record.headers())
    assert event.data == {"id": "o-1", "total": 1234} and event.datacontenttype == AVRO


def test_an_avro_schema_needs_an_avro_topic():
    with pytest.raises(ValueError, match="needs format='avro'"):
        Topic(f"dictamesh.{APP}.other.v1", avro_schema=ORDER)
