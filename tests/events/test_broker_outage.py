"""Broker stopped, 1,000 changes made, broker started again: exactly those 1,000 events arrive, in key order."""

from __future__ import annotations

import subprocess
import time
from collections import defaultdict

import pytest

from dictamesh.devservices.kafka import EmbeddedKafka
from dictamesh.devservices.ports import free_port
from dictamesh.events.admin_ops import sync_topics
from dictamesh.events.models import OutboxMessage
from dictamesh.events.outbox import Change, publish_many
from dictamesh.events.relay import OutboxRelay
from tests.events.conftest import events_of, read_topic

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


class Broker:
    """A private tansu for this test, so stopping it does not disturb the others."""

    def __init__(self):
        self.kafka = EmbeddedKafka(free_port())
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.kafka.argv(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not self.kafka.is_ready():
            assert time.monotonic() < deadline and self.proc.poll() is None
            time.sleep(0.05)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def test_outage_loses_nothing(stream, settings):
    broker = Broker()
    broker.start()
    settings.DICTAMESH_KAFKA = {**settings.DICTAMESH_KAFKA, "bootstrap.servers": broker.kafka.bootstrap}
    settings.DICTAMESH_PUBLISH_TIMEOUT_SECONDS = 2.0
    try:
        sync_topics(stream.registry.topics)
        relay = OutboxRelay(batch_size=250)
        broker.stop()

        published = publish_many(
            [Change(stream.type("created"), f"dm:o:{i % 25}", {"i": i}) for i in range(1000)]
        )
        result = relay.run_once()  # the broker is down: nothing acknowledged, nothing marked sent
        assert result.published == 0 and result.failed == 250
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 1000
        failed = OutboxMessage.objects.filter(attempts=1)
        assert failed.count() == 250  # the batch it tried, with the broker's reason recorded
        assert all(row.last_error for row in failed)

        broker.start()  # memory storage: a fresh, empty broker
        sync_topics(stream.registry.topics)
        deadline = time.monotonic() + 120
        while OutboxMessage.objects.filter(sent_at__isnull=True).exists():
            assert time.monotonic() < deadline, "relay did not catch up"
            relay.drain()
        records = read_topic(stream.topic.name, expected=1000)
        events = events_of(records)
        assert len(events) == 1000
        assert {e.id for e in events} == {e.id for e in published}
        by_key = defaultdict(list)
        for event in events:
            by_key[event.subject].append(event.data["i"])
        assert all(numbers == sorted(numbers) for numbers in by_key.values())
    finally:
        if broker.proc and broker.proc.poll() is None:
            broker.stop()
