from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pytest
from confluent_kafka import Consumer

from dictamesh.events.admin_ops import sync_topics
from dictamesh.events.producer import consumer_config
from dictamesh.events.registry import ConsumerSpec, Registry
from dictamesh.events.serialization import decode
from dictamesh.events.topics import Topic
from tests.events import registry as test_registry


@dataclass
class Stream:
    topic: Topic
    app: str
    registry: Registry

    def type(self, action: str) -> str:
        return f"dictamesh.{self.app}.orders.{action}"

    @property
    def consumer(self) -> ConsumerSpec:
        return self.registry.consumers[0]


@pytest.fixture
def stream(settings, monkeypatch, tmp_path):
    """A fresh topic of its own for one test: dictamesh.t<random>.orders.v1 (3 partitions), its DLQ, a consumer."""
    app = f"t{uuid.uuid4().hex[:10]}"
    registry = test_registry.build(app)
    monkeypatch.setenv("DICTAMESH_TEST_APP", app)
    monkeypatch.setenv("DICTAMESH_TEST_SCRATCH", str(tmp_path))
    monkeypatch.setattr(test_registry, "REGISTRY", registry)
    settings.DICTAMESH_EVENTS = "tests.events.registry"  # the registry cache resets on this change
    sync_topics(registry.topics)
    yield Stream(registry.topics[0], app, registry)


def read_topic(name: str, *, expected: int, timeout: float = 30.0, idle: float = 3.0):
    """Every record of a topic from the beginning, with a fresh group, until ``expected`` or idle."""
    consumer = Consumer(
        consumer_config(
            **{
                "group.id": f"reader-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
    )
    consumer.subscribe([name])
    records = []
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    try:
        while time.monotonic() < deadline:
            batch = consumer.consume(num_messages=1000, timeout=0.5)
            batch = [r for r in batch if r.error() is None]
            records.extend(batch)
            if batch:
                last = time.monotonic()
            if len(records) >= expected and time.monotonic() - last > (idle if expected == 0 else 0.5):
                break
            if expected == 0 and time.monotonic() - last > idle:
                break
    finally:
        consumer.close()
    return records


def events_of(records):
    return [decode(r.value(), r.headers()) for r in records]
