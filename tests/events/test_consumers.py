"""Consumers on the real broker and database: once per event, retries, dead letters, garbage, SIGKILL."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer
from django.contrib.auth.models import Group
from django.db import connection

from dictamesh.events.consumers import ConsumerRunner, backoff_delay
from dictamesh.events.models import OutboxMessage, ProcessedEvent
from dictamesh.events.outbox import Change, publish_many
from dictamesh.events.producer import client_config
from dictamesh.events.registry import ConsumerSpec
from dictamesh.events.relay import OutboxRelay
from tests.events.conftest import read_topic

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def _send(stream, items: list[dict], keys: int = 3):
    events = publish_many(
        [Change(stream.type("created"), f"dm:o:{i % keys}", data) for i, data in enumerate(items)]
    )
    OutboxRelay().drain()
    return events


def _consume(stream, *, expect_groups: int, timeout: float = 30, spec=None) -> ConsumerRunner:
    runner = ConsumerRunner(spec or stream.consumer)
    deadline = time.monotonic() + timeout
    runner.subscribe()
    try:
        while time.monotonic() < deadline:
            records = [r for r in runner.consumer.consume(num_messages=200, timeout=0.5) if r.error() is None]
            if records:
                runner.process_batch(records)
            elif Group.objects.count() >= expect_groups:
                break
    finally:
        runner.consumer.close()
        runner.dlq.flush(10)
    return runner


def _dlq(stream, expected: int):
    return read_topic(stream.topic.dlq, expected=expected, idle=2.0)


def test_every_event_handled_once_and_redelivery_is_a_no_op(stream):
    events = _send(stream, [{"n": i} for i in range(60)])
    runner = _consume(stream, expect_groups=60)
    assert runner.stats.handled == 60 and runner.stats.dead_lettered == 0
    assert set(Group.objects.values_list("name", flat=True)) == {e.id for e in events}
    # the relay publishes everything again (as after a crash before marking sent)
    OutboxMessage.objects.update(sent_at=None)
    OutboxRelay().drain()
    # a new group of the same consumer reads all 120 records: the second copies are skipped
    again = ConsumerRunner(stream.consumer, **{"group.id": f"{stream.consumer.group}-replay"})
    stats = again.run(idle_timeout=3)
    assert stats.duplicates == 120 and stats.handled == 0
    assert Group.objects.count() == 60
    assert ProcessedEvent.objects.filter(consumer=stream.consumer.name).count() == 60


def _batches(tmp_path) -> list[int]:
    path = tmp_path / "batches"
    return [int(n) for n in path.read_text().split()] if path.exists() else []


def test_a_batch_handler_takes_the_fresh_events_of_a_batch_in_one_call(stream, tmp_path):
    spec = dataclasses.replace(stream.consumer, batch_handler="tests.events.handlers.record_batch")
    events = _send(stream, [{"n": i} for i in range(60)])
    runner = _consume(stream, expect_groups=60, spec=spec)
    assert runner.stats.handled == 60 and runner.stats.retries == 0 and runner.stats.dead_lettered == 0
    assert set(Group.objects.values_list("name", flat=True)) == {e.id for e in events}
    calls = _batches(tmp_path)
    assert sum(calls) == 60 and len(calls) < 60  # whole batches, not one call per event
    # a redelivery: the batch handler is not called for events already handled
    OutboxMessage.objects.update(sent_at=None)
    OutboxRelay().drain()
    stats = ConsumerRunner(spec, **{"group.id": f"{spec.group}-replay"}).run(idle_timeout=3)
    assert stats.duplicates == 120 and stats.handled == 0
    assert _batches(tmp_path) == calls and Group.objects.count() == 60


def test_a_failing_batch_is_redone_event_by_event(stream, tmp_path):
    spec = dataclasses.replace(stream.consumer, batch_handler="tests.events.handlers.record_batch")
    events = _send(stream, [{"n": 0}, {"fail_times": 1}, {"n": 2}, {"poison": True}, {"n": 4}], keys=1)
    poison = events[3]
    runner = _consume(stream, expect_groups=4, spec=spec)
    # one failed batch call; then each event alone: the transient one succeeds on its retry, the poison
    # one is dead-lettered, the others are handled once
    assert _batches(tmp_path)[0] == 5
    assert set(Group.objects.values_list("name", flat=True)) == {e.id for e in events} - {poison.id}
    assert runner.stats.dead_lettered == 1 and runner.stats.handled == 4
    (letter,) = _dlq(stream, 1)
    headers = {k: v.decode() for k, v in letter.headers()}
    assert headers["ce_id"] == poison.id and headers["dm_consumer"] == spec.name


def test_a_batch_handler_needs_the_optimistic_pass():
    from dictamesh.events.registry import Registry
    from dictamesh.events.topics import Topic

    with pytest.raises(ValueError, match="optimistic"):
        Registry(
            topics=[Topic("dictamesh.x.y.v1")],
            consumers=[
                ConsumerSpec(
                    name="c", topics=("dictamesh.x.y.v1",), handler="h", batch_handler="b", optimistic=False
                )
            ],
        )


def test_transient_failures_are_retried_with_backoff(stream):
    events = _send(stream, [{"fail_times": 2}, {"n": 1}])
    runner = _consume(stream, expect_groups=2)
    assert runner.stats.retries == 2 and runner.stats.handled == 2 and runner.stats.dead_lettered == 0
    assert set(Group.objects.values_list("name", flat=True)) == {e.id for e in events}
    assert all(0 <= backoff_delay(n, 0.2, 10) <= min(10, 0.2 * 2 ** (n - 1)) for n in range(1, 10))


def test_poison_event_goes_to_the_dlq_and_its_partition_keeps_flowing(stream):
    # one key, so all three land on one partition: good, poison, good
    events = _send(stream, [{"n": 1}, {"poison": True}, {"n": 3}], keys=1)
    runner = _consume(stream, expect_groups=2)
    assert runner.stats.dead_lettered == 1 and runner.stats.handled == 2
    assert set(Group.objects.values_list("name", flat=True)) == {events[0].id, events[2].id}
    (letter,) = _dlq(stream, 1)
    headers = {k: v.decode() for k, v in letter.headers()}
    assert headers["ce_id"] == events[1].id
    assert headers["dm_attempts"] == "3" and headers["dm_error_type"] == "ValueError"
    assert "poison event" in headers["dm_error"]
    assert (
        headers["dm_original_topic"] == stream.topic.name and headers["dm_consumer"] == stream.consumer.name
    )
    assert int(headers["dm_original_offset"]) >= 0


def test_garbage_never_crashes_the_consumer(stream):
    producer = Producer(client_config())
    garbage = [
        (b"\x00\x01\x02\xff\xfe", None),
        (b"not json at all", [("ce_id", b"x"), ("ce_type", b"t"), ("ce_source", b"s")]),
        (b'{"no": "attributes"}', None),
        (b"{}", [("ce_id", b"\xff\xfe"), ("ce_type", b"t")]),
        (
            b"\x00\x00\x00\x00\x07avro?",
            [("ce_id", b"a"), ("ce_type", b"t"), ("ce_source", b"s"), ("content-type", b"application/avro")],
        ),
        (None, None),
    ]
    for value, headers in garbage:
        producer.produce(stream.topic.name, key=b"dm:o:0", value=value, headers=headers)
    producer.flush(10)
    good = _send(stream, [{"n": 1}], keys=1)
    runner = _consume(stream, expect_groups=1)
    assert runner.stats.dead_lettered == len(garbage)
    assert list(Group.objects.values_list("name", flat=True)) == [good[0].id]
    letters = _dlq(stream, len(garbage))
    reasons = [dict(letter.headers())["dm_error"].decode() for letter in letters]
    assert len(letters) == len(garbage) and all(r.startswith("undecodable") for r in reasons)
    assert any("schema id 7 cannot be resolved" in r for r in reasons)  # no such schema in the registry


def test_sigkill_mid_batch_then_restart_handles_every_event_once(stream, tmp_path):
    total = 1500
    events = _send(stream, [{"n": i} for i in range(total)], keys=7)
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DICTAMESH_TEST_APP": stream.app,
        "DICTAMESH_TEST_SCRATCH": str(tmp_path),
        "DICTAMESH_EVENTS_REGISTRY": "tests.events.registry",
    }
    argv = [sys.executable, "manage.py", "run_consumers", stream.consumer.name]

    first = subprocess.Popen(argv, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while Group.objects.count() < 200:
        assert time.monotonic() < deadline and first.poll() is None, "consumer made no progress"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    partial = Group.objects.count()
    assert 0 < partial < total, partial

    second = subprocess.Popen(argv, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 90
        while Group.objects.count() < total:
            assert time.monotonic() < deadline, Group.objects.count()
            assert second.poll() is None
            time.sleep(0.1)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0  # SIGTERM: finish, commit, exit cleanly
    assert Group.objects.count() == total
    assert set(Group.objects.values_list("name", flat=True)) == {e.id for e in events}
    assert _dlq(stream, 0) == []  # nothing handled twice (a second Group insert would have dead-lettered)


def _test_database_url() -> str:
    params = connection.settings_dict
    return f"postgres://{params['USER']}@{params['HOST']}:{params['PORT']}/{params['NAME']}"


def test_run_consumers_command_lists_and_rejects_unknown(stream):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("run_consumers", "--list", stdout=out)
    assert stream.consumer.name in out.getvalue()
    with pytest.raises(CommandError, match="no consumer named"):
        call_command("run_consumers", f"nope-{uuid.uuid4().hex[:4]}")


def test_a_stop_in_mid_batch_leaves_the_rest_for_redelivery(stream):
    events = _send(stream, [{"n": i} for i in range(10)], keys=1)  # one partition, one batch
    seen = []
    runner = None

    def stop_after_three(event):
        seen.append(event.id)
        Group.objects.create(name=event.id)
        if len(seen) == 3:
            runner.stop()  # SIGTERM: finish this event, commit, exit

    runner = ConsumerRunner(stream.consumer, handler=stop_after_three)
    stats = runner.run()
    assert stats.handled == 3 and Group.objects.count() == 3
    # the next run of the same consumer handles the other seven: none is skipped as a duplicate
    rest = ConsumerRunner(stream.consumer).run(idle_timeout=2)
    assert rest.handled == 7 and rest.duplicates == 0
    assert set(Group.objects.values_list("name", flat=True)) == {e.id for e in events}


def test_a_rebalance_hands_partitions_over_without_loss_or_repeat(stream):
    import threading

    total = 900
    events = _send(stream, [{"n": i, "sleep": 0.01} for i in range(total)], keys=30)
    first, second = ConsumerRunner(stream.consumer), ConsumerRunner(stream.consumer)
    stats = {}

    def run(name, runner):
        try:
            stats[name] = runner.run(idle_timeout=4)
        finally:
            connection.close()

    one = threading.Thread(target=run, args=("first", first))
    one.start()
    deadline = time.monotonic() + 60
    while Group.objects.count() < 100:  # the first consumer is busy with the stream
        assert time.monotonic() < deadline
        time.sleep(0.05)
    two = threading.Thread(target=run, args=("second", second))  # joins: the group rebalances
    two.start()
    one.join(120)
    two.join(120)
    assert Group.objects.count() == total
    assert set(Group.objects.values_list("name", flat=True)) == {e.id for e in events}
    assert stats["first"].handled + stats["second"].handled == total
    # a rebalance did happen mid-stream: the first consumer was assigned twice, the newcomer got partitions
    assert len(first.assignments) >= 2 and second.assignments
    assert any(len(later) < len(first.assignments[0]) for later in first.assignments[1:])  # it gave some away
    assert stats["first"].dead_lettered == stats["second"].dead_lettered == 0
