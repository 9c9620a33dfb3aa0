"""The relay publishes committed outbox rows to the real broker: once, in order per key, several relays at once."""

from __future__ import annotations

import threading
from collections import defaultdict

import pytest
from django.db import connection

from dictamesh.events.admin_ops import sync_topics
from dictamesh.events.models import OutboxMessage
from dictamesh.events.outbox import Change, publish_many
from dictamesh.events.relay import OutboxRelay
from dictamesh.events.topics import Topic
from tests.conftest import wait_until
from tests.events.conftest import events_of, read_topic

pytestmark = pytest.mark.django_db(transaction=True)


def _publish(stream, count: int, keys: int):
    return publish_many(
        [
            Change(stream.type("created"), f"dm:shop:order:{i % keys}", {"i": i, "key": i % keys})
            for i in range(count)
        ]
    )


def _assert_key_order(records):
    seen = defaultdict(list)
    for record in records:
        event = events_of([record])[0]
        assert record.key().decode() == event.subject
        seen[event.subject].append(event.data["i"])
    for subject, numbers in seen.items():
        assert numbers == sorted(numbers), f"{subject} out of order"
    return seen


def test_relay_publishes_once_in_key_order_and_marks_sent(stream):
    published = _publish(stream, 300, keys=10)
    relay = OutboxRelay(batch_size=64)
    assert relay.drain() == 300
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    records = read_topic(stream.topic.name, expected=300)
    assert len(records) == 300
    assert {e.id for e in events_of(records)} == {e.id for e in published}
    _assert_key_order(records)
    headers = dict(records[0].headers())
    assert headers["ce_specversion"] == b"1.0" and headers["content-type"] == b"application/json"
    assert headers["ce_type"] == stream.type("created").encode()
    assert relay.drain() == 0  # nothing twice


def test_two_relays_at_once_publish_every_row_exactly_once_in_order(stream):
    published = _publish(stream, 2000, keys=20)
    relays = [OutboxRelay(batch_size=100), OutboxRelay(batch_size=100)]
    counts = [0, 0]

    def work(index):
        try:
            while OutboxMessage.objects.filter(sent_at__isnull=True).exists():
                counts[index] += relays[index].drain()
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(counts) == 2000
    records = read_topic(stream.topic.name, expected=2000)
    ids = [e.id for e in events_of(records)]
    assert len(ids) == 2000 and set(ids) == {e.id for e in published}
    _assert_key_order(records)


def test_a_row_for_an_undeclared_topic_does_not_block_the_others(stream):
    _publish(stream, 5, keys=5)
    OutboxMessage.objects.filter(id=OutboxMessage.objects.order_by("id").first().id).update(
        topic="dictamesh.gone.things.v1"
    )
    result = OutboxRelay().run_once()
    assert result.published == 4 and result.failed == 1
    bad = OutboxMessage.objects.get(topic="dictamesh.gone.things.v1")
    assert bad.sent_at is None and bad.attempts == 1 and "not declared" in bad.last_error


def test_topic_sync_is_idempotent_and_fixes_drift(stream):
    assert sync_topics(stream.registry.topics) == []
    drifted = Topic(stream.topic.name, partitions=3, retention_ms=3600_000)
    changes = sync_topics([drifted])
    assert [(c.topic, c.action) for c in changes] == [(stream.topic.name, "updated")]
    assert "3600000" in changes[0].detail
    assert sync_topics([drifted]) == []
    grown = Topic(stream.topic.name, partitions=6, retention_ms=3600_000)
    assert [c.action for c in sync_topics([grown])] in (["updated"], ["warning"])  # tansu cannot grow topics


def test_kafka_topics_command(stream):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("kafka_topics", "sync", stdout=out)
    assert "up to date" in out.getvalue()
    out = StringIO()
    call_command("kafka_topics", "list", stdout=out)
    assert stream.topic.name in out.getvalue() and f"{stream.topic.name}.dlq" in out.getvalue()


def test_the_relay_command_publishes_on_commit_and_stops_on_sigterm(stream):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    params = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{params['USER']}@{params['HOST']}:{params['PORT']}/{params['NAME']}",
        "DICTAMESH_TEST_APP": stream.app,
        "DICTAMESH_EVENTS_REGISTRY": "tests.events.registry",
        "DICTAMESH_OUTBOX_POLL_SECONDS": "30",  # so only the NOTIFY on commit can explain a prompt publish
    }
    relay = subprocess.Popen(
        [sys.executable, "manage.py", "run_outbox_relay"], cwd=Path(__file__).resolve().parents[2], env=env
    )
    try:

        def listening() -> bool:  # its listener connection has run LISTEN (a deadline, never a fixed sleep)
            assert relay.poll() is None, "the relay stopped"
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'dictamesh-%%-listen'"
                    " AND query ILIKE 'LISTEN%%' AND pid <> pg_backend_pid()"
                )
                return cursor.fetchone()[0] > 0

        assert wait_until(listening, timeout=60), "the relay never listened"
        _publish(stream, 50, keys=5)
        deadline = time.monotonic() + 15
        while OutboxMessage.objects.filter(sent_at__isnull=True).exists():
            assert time.monotonic() < deadline, "the relay was not woken by the commit"
            time.sleep(0.1)
        assert len(read_topic(stream.topic.name, expected=50)) == 50
    finally:
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(30) == 0
