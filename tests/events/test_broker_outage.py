"""Broker stopped, 1,000 changes made, broker started again: exactly those 1,000 events arrive, in key order.
A broker that comes back empty (tansu's memory storage) gets the declared topics back from the relay and
the consumers themselves, with the declared partitions, and a running consumer handles every event once.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections import defaultdict

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from dictamesh.devservices.kafka import EmbeddedKafka
from dictamesh.devservices.ports import free_port
from dictamesh.events.admin_ops import admin_client, sync_topics
from dictamesh.events.consumers import ConsumerRunner
from dictamesh.events.models import OutboxMessage
from dictamesh.events.outbox import Change, publish_many
from dictamesh.events.relay import OutboxRelay
from tests.conftest import wait_until
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

        broker.start()  # memory storage: a fresh, empty broker; the relay puts the topics back itself
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


def _partitions(bootstrap: str) -> dict[str, int]:
    metadata = admin_client().list_topics(timeout=10)
    return {name: len(topic.partitions) for name, topic in metadata.topics.items()}


def test_a_broker_back_without_its_topics_gets_them_from_the_relay_and_consumers(stream, settings):
    broker = Broker()
    broker.start()
    settings.DICTAMESH_KAFKA = {
        **settings.DICTAMESH_KAFKA,
        "bootstrap.servers": broker.kafka.bootstrap,
    }
    settings.DICTAMESH_PUBLISH_TIMEOUT_SECONDS = 2.0
    relay = OutboxRelay(batch_size=100)
    runner = ConsumerRunner(stream.consumer)
    relay_thread = threading.Thread(target=lambda: (relay.run(), connection.close()), daemon=True)
    consumer_thread = threading.Thread(target=lambda: (runner.run(), connection.close()), daemon=True)
    try:
        # nobody synced this broker: the relay creates the declared topics before its first publish
        first = publish_many([Change(stream.type("created"), f"dm:o:{i % 10}", {"n": i}) for i in range(50)])
        relay_thread.start()
        consumer_thread.start()
        assert wait_until(lambda: Group.objects.count() == 50, timeout=120), Group.objects.count()
        assert _partitions(broker.kafka.bootstrap)[stream.topic.name] == stream.topic.partitions
        assert stream.topic.dlq in _partitions(broker.kafka.bootstrap)

        broker.stop()
        during = publish_many(
            [Change(stream.type("created"), f"dm:o:{i % 10}", {"n": i}) for i in range(50, 100)]
        )  # writes go on while the broker is away: they wait in the outbox
        started = time.monotonic()
        broker.start()  # empty: no topics, no groups, no producer ids
        assert wait_until(lambda: Group.objects.count() == 100, timeout=180), Group.objects.count()
        recovered = time.monotonic() - started
        after = publish_many(
            [Change(stream.type("created"), f"dm:o:{i % 10}", {"n": i}) for i in range(100, 120)]
        )
        assert wait_until(lambda: Group.objects.count() == 120, timeout=60), Group.objects.count()
        assert set(Group.objects.values_list("name", flat=True)) == {e.id for e in first + during + after}
        assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
        # recreated as declared, not auto-created with the broker's defaults
        assert _partitions(broker.kafka.bootstrap)[stream.topic.name] == stream.topic.partitions
        assert runner.stats.dead_lettered == 0
        print(f"broker back empty: every event handled {recovered:.1f}s after it started again")
    finally:
        relay.stop_event.set()
        runner.stop()
        relay_thread.join(60)
        consumer_thread.join(60)
        if broker.proc and broker.proc.poll() is None:
            broker.stop()


@pytest.mark.parametrize("topics_back", [False, True], ids=["topics-lost", "topics-recreated-by-another"])
def test_a_broker_restarted_within_a_reconnect_is_published_to_at_once_not_after_the_timeout(
    stream, settings, topics_back
):
    """SIGKILLed and started again at once (empty, on the same port): the relay's producer reconnects
    without an error, but the broker forgot its producer id (librdkafka bumps the epoch and retries in a
    loop) and, unless another client put them back, its topics. Waiting would last the publish timeout
    (60 s here); the relay notices within a stalled second, recreates what is missing and resends with a
    new producer."""
    broker = Broker()
    broker.start()
    settings.DICTAMESH_KAFKA = {**settings.DICTAMESH_KAFKA, "bootstrap.servers": broker.kafka.bootstrap}
    settings.DICTAMESH_PUBLISH_TIMEOUT_SECONDS = 60.0
    relay = OutboxRelay(batch_size=100)
    relay_thread = threading.Thread(target=lambda: (relay.run(), connection.close()), daemon=True)
    try:
        sync_topics(stream.registry.topics)
        publish_many([Change(stream.type("created"), f"dm:o:{i}", {"n": i}) for i in range(10)])
        relay_thread.start()
        assert wait_until(lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(), timeout=60)

        broker.proc.kill()
        broker.proc.wait(10)
        broker.start()
        if topics_back:  # a consumer's guard got there first: the topics exist, the producer id does not
            sync_topics(stream.registry.topics)
        after = publish_many([Change(stream.type("created"), f"dm:o:{i}", {"n": i}) for i in range(10, 20)])
        sent = wait_until(lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(), timeout=45)
        errors = set(OutboxMessage.objects.exclude(last_error="").values_list("last_error", flat=True))
        assert sent, f"still unsent; errors so far: {errors}"
        assert errors and all("sent again" in error for error in errors), errors
        assert all("not acknowledged" not in e and "timed out" not in e.lower() for e in errors), errors
        records = read_topic(stream.topic.name, expected=10)
        assert {e.id for e in events_of(records)} == {e.id for e in after}  # the empty broker has the rest
        assert _partitions(broker.kafka.bootstrap)[stream.topic.name] == stream.topic.partitions
    finally:
        relay.stop_event.set()
        relay_thread.join(90)
        if broker.proc and broker.proc.poll() is None:
            broker.stop()
