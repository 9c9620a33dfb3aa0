"""Dead letters: read a ``<topic>.dlq`` and publish its records again to the topic they came from."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from dictamesh.errors import NotFound

from .consumers import DLQ_PREFIX
from .envelope import header_dict, parse_time
from .producer import consumer_config, make_producer


@dataclass
class ReplayResult:
    replayed: int = 0
    skipped: int = 0
    topics: set[str] | None = None
    # every letter there when the replay began was read (else it stopped idle, at its limit or its timeout)
    caught_up: bool = False


def replay_dead_letters(
    topic: str,
    *,
    since: datetime | None = None,
    limit: int | None = None,
    from_beginning: bool = False,
    idle: float = 3.0,
    timeout: float = 300.0,
) -> ReplayResult:
    """Re-publish the dead letters of ``topic`` (``X`` or ``X.dlq``) to their original topic.

    The replay group ``dictamesh.dlq-replay.<dlq>`` commits what it replayed, so running it again
    replays only letters that arrived since; ``from_beginning`` uses a fresh group and replays all.
    Letters that failed before ``since`` are skipped (and committed past).
    """
    from confluent_kafka import Consumer, TopicPartition

    dlq = topic if topic.endswith(".dlq") else f"{topic}.dlq"
    group = f"dictamesh.dlq-replay.{dlq}" + (f".{uuid.uuid4().hex[:8]}" if from_beginning else "")
    consumer = Consumer(
        consumer_config(
            short_session=True,
            **{"group.id": group, "enable.auto.commit": False, "auto.offset.reset": "earliest"},
        )
    )
    known = consumer.list_topics(timeout=10).topics  # every topic: asking for one could create it
    if dlq not in known or known[dlq].error is not None:
        consumer.close()
        dead = sorted(name for name in known if name.endswith(".dlq"))
        raise NotFound(
            f"No dead-letter topic {dlq!r} on the broker. Dead-letter topics: {', '.join(dead) or 'none yet'}."
        )
    producer = make_producer()
    result = ReplayResult(topics=set())
    consumer.subscribe([dlq])
    assigned_at = None
    last = time.monotonic()
    deadline = time.monotonic() + timeout
    left: dict[tuple[str, int], int] | None = None  # partition -> its end when assigned, until reached
    try:
        while time.monotonic() < deadline and (limit is None or result.replayed < limit):
            records = [r for r in consumer.consume(num_messages=500, timeout=0.5) if r.error() is None]
            if consumer.assignment() and assigned_at is None:
                assigned_at = last = time.monotonic()
                left = _ends(consumer)
            for record in records:
                key = (record.topic(), record.partition())
                if left is not None and key in left and record.offset() + 1 >= left[key]:
                    del left[key]
            if not records and left == {}:
                result.caught_up = True
                break  # every letter there when the replay began is replayed (later ones wait for the next)
            if not records:
                if assigned_at is not None and time.monotonic() - last > idle:
                    break
                continue
            last = time.monotonic()
            offsets = {}
            for record in records:
                if limit is not None and result.replayed >= limit:
                    break
                headers = header_dict(record.headers())
                failed_at = headers.get(f"{DLQ_PREFIX}failed_at")
                if since and failed_at and parse_time(failed_at) < since:
                    result.skipped += 1
                else:
                    original = headers.get(f"{DLQ_PREFIX}original_topic") or dlq.removesuffix(".dlq")
                    kept = [(k, v) for k, v in (record.headers() or []) if not k.startswith(DLQ_PREFIX)]
                    kept.append(
                        (
                            f"{DLQ_PREFIX}replayed_from",
                            f"{dlq}:{record.partition()}:{record.offset()}".encode(),
                        )
                    )
                    producer.produce(original, key=record.key(), value=record.value(), headers=kept)
                    result.replayed += 1
                    result.topics.add(original)
                offsets[(record.topic(), record.partition())] = record.offset() + 1
            if producer.flush(30):
                raise RuntimeError("the broker did not acknowledge the replayed records; nothing committed")
            consumer.commit(
                offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=False
            )
    finally:
        consumer.close()
    return result


def _ends(consumer) -> dict[tuple[str, int], int] | None:
    """{partition: its end offset} of the assigned partitions not read to their end yet (from the group's
    committed offsets, or their start), or None when the broker does not tell (the replay then ends idle)."""
    from confluent_kafka import KafkaException

    try:
        assignment = consumer.assignment()
        committed = {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(assignment, timeout=5)}
        left = {}
        for tp in assignment:
            low, high = consumer.get_watermark_offsets(tp, timeout=5)
            start = committed.get((tp.topic, tp.partition), -1)
            if max(start, low) < high:
                left[(tp.topic, tp.partition)] = high
        return left
    except KafkaException:
        return None


_waiting_memo: dict[str, tuple[float, dict[str, int] | None]] = {}
WAITING_TTL = 30.0


def waiting_dead_letters(*, timeout: float = 2.0) -> dict[str, int] | None:
    """Per dead-letter topic holding any, the letters not replayed yet: its end offsets past what its replay
    group committed (everything, if it never replayed). None when the broker cannot be asked within
    ``timeout`` (a page showing this must not wait for Kafka). Kept 30 s in the process."""
    kept = _waiting_memo.get("all")
    if kept and time.monotonic() - kept[0] < WAITING_TTL:
        return kept[1]
    try:
        answer = _waiting(timeout)
    except Exception:  # noqa: BLE001 - the broker away or refusing: not counted, and said so
        answer = None
    _waiting_memo["all"] = (time.monotonic(), answer)
    return answer


def _waiting(timeout: float) -> dict[str, int] | None:
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    probe = Consumer(consumer_config(**{"group.id": "dictamesh.dlq-inspect", "enable.auto.commit": False}))
    try:
        try:
            topics = probe.list_topics(timeout=timeout).topics
        except KafkaException:
            return None
        ends: dict[str, dict[int, tuple[int, int]]] = {}
        for name, meta in topics.items():
            if not name.endswith(".dlq") or meta.error is not None:
                continue
            marks = {
                p: probe.get_watermark_offsets(TopicPartition(name, p), timeout=timeout)
                for p in meta.partitions
            }
            if any(high > low for low, high in marks.values()):
                ends[name] = marks
    finally:
        probe.close()
    out = {}
    for name, marks in ends.items():
        replay = Consumer(
            consumer_config(**{"group.id": f"dictamesh.dlq-replay.{name}", "enable.auto.commit": False})
        )
        try:
            committed = replay.committed([TopicPartition(name, p) for p in marks], timeout=timeout)
        finally:
            replay.close()
        done = {tp.partition: tp.offset for tp in committed}
        waiting = sum(high - max(low, done.get(p, -1)) for p, (low, high) in marks.items())
        if waiting > 0:
            out[name] = waiting
    return out
