"""Consumers: decode, handle once, retry with backoff, dead-letter, commit only after success.

For every batch read from Kafka:

1. Each record is decoded (CloudEvents binary or structured mode). A record that is not an event
   (garbage bytes, missing attributes, Avro without a registry) goes straight to ``<topic>.dlq``.
2. Inside one database transaction, each event is marked processed for this consumer
   (``dictamesh_events_processed``, ON CONFLICT DO NOTHING) and handed to the handler under a savepoint.
   An event already marked is a redelivery: skipped. A handler that raises is retried with exponential
   backoff and jitter (its savepoint rolled back each time); after ``max_attempts`` the record goes to
   the dead-letter topic with the error, and the partition keeps flowing.
3. Dead letters are flushed (acknowledged by the broker), the database transaction commits, and only
   then are the Kafka offsets committed. A crash anywhere before that redelivers the batch, and the
   processed markers make the redelivery a no-op for what had committed.

SIGTERM/SIGINT finish the event in flight, commit what was handled, and exit.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string

from . import metrics
from .envelope import EnvelopeError, Event
from .models import ProcessedEvent
from .producer import ProducerWatch, consumer_config, discard, flush_watched, make_watched_producer
from .registry import ConsumerSpec
from .serialization import decode
from .topic_guard import TopicGuard
from .topics import registered_topics

logger = logging.getLogger("dictamesh.events.consumers")
DLQ_PREFIX = "dm_"
JOIN_GRACE = 30.0  # with idle_timeout: how long joining the group may take before giving up


@dataclass
class RunStats:
    handled: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    retries: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)


def backoff_delay(attempt: int, base: float, maximum: float) -> float:
    """Exponential backoff with full jitter: uniform(0, min(max, base * 2**(attempt-1)))."""
    return random.uniform(0, min(maximum, base * 2 ** (attempt - 1)))  # noqa: S311 - jitter, not crypto


def _span(event: Event, topic: str):
    """A consumer span continuing the publisher's trace (traceparent), so Celery tasks carry it on."""
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    parent = TraceContextTextMapPropagator().extract({"traceparent": event.traceparent or ""})
    return trace.get_tracer("dictamesh.events").start_as_current_span(
        f"consume {topic}",
        context=parent,
        kind=trace.SpanKind.CONSUMER,
        attributes={"event.type": event.type},
    )


def _batch_span(events: list[Event], name: str):
    """One consumer span for a batch handled at once, linked to each event's publisher span."""
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    propagator = TraceContextTextMapPropagator()
    links = []
    for event in events:
        if event.traceparent:
            context = trace.get_current_span(propagator.extract({"traceparent": event.traceparent}))
            if context.get_span_context().is_valid:
                links.append(trace.Link(context.get_span_context()))
    return trace.get_tracer("dictamesh.events").start_as_current_span(
        f"consume {name} batch",
        kind=trace.SpanKind.CONSUMER,
        links=links[:128],
        attributes={"messaging.batch.message_count": len(events)},
    )


class ConsumerRunner:
    def __init__(
        self, spec: ConsumerSpec, *, handler: Callable[[Event], object] | None = None, **conf_overrides
    ):
        from confluent_kafka import Consumer

        self.spec = spec
        self.handler = handler or import_string(spec.handler)
        # a handler given here (tests) replaces the spec's handlers, the batch one too
        self.batch_handler = import_string(spec.batch_handler) if spec.batch_handler and not handler else None
        self.stop_event = threading.Event()
        self.guard = TopicGuard(self._declared_topics, process=spec.name, min_interval=2.0)
        conf = consumer_config(
            **{
                "group.id": spec.group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "client.id": f"dictamesh-{spec.name}-{socket.gethostname()}",
                "session.timeout.ms": settings.DICTAMESH_KAFKA.get("session.timeout.ms", 45000),
                "heartbeat.interval.ms": settings.DICTAMESH_KAFKA.get("heartbeat.interval.ms", 3000),
                "error_cb": self.guard.error_cb,
            }
        )
        conf.update(conf_overrides)
        self.consumer = Consumer(conf, logger=logger)
        self.dlq_watch = ProducerWatch()
        self.dlq = make_watched_producer(self.dlq_watch)
        self.stats = RunStats()
        self.assigned: set[tuple[str, int]] = set()
        self._assigned_at = 0.0
        self.assignments: list[list[tuple[str, int]]] = []  # every assignment received, for diagnostics
        self.dlq_pending = 0  # dead letters produced in the current batch, not yet acknowledged
        self._failed_batches = 0  # batches in a row that could not be handled

    def _declared_topics(self):
        declared = registered_topics()
        return [declared[name] for name in self.spec.topics if name in declared]

    # -- lifecycle ----------------------------------------------------------------------------------
    def _on_assign(self, consumer, partitions):
        self.assigned |= {(p.topic, p.partition) for p in partitions}
        self.assignments.append(sorted((p.topic, p.partition) for p in partitions))
        self._assigned_at = time.monotonic()
        logger.info("%s: assigned %s", self.spec.name, sorted(self.assigned))

    def _on_revoke(self, consumer, partitions):
        # batches commit before the next poll, so nothing is in flight here: just forget the partitions
        self.assigned -= {(p.topic, p.partition) for p in partitions}
        logger.info("%s: revoked %s", self.spec.name, [(p.topic, p.partition) for p in partitions])

    def subscribe(self) -> None:
        self.consumer.subscribe(list(self.spec.topics), on_assign=self._on_assign, on_revoke=self._on_revoke)

    def run(self, *, max_messages: int | None = None, idle_timeout: float | None = None) -> RunStats:
        """Consume until stopped (or ``max_messages`` records, or ``idle_timeout`` seconds with none)."""
        self.subscribe()
        seen = 0
        idle_since = time.monotonic()
        try:
            while not self.stop_event.is_set():
                records = self.consumer.consume(num_messages=self.spec.batch_size, timeout=0.5)
                records = [r for r in records if not self._is_error(r)]
                if not records:
                    if self.guard.unchecked:
                        self.guard.check()  # the broker was away: it may have come back without our topics
                    now = time.monotonic()
                    if idle_timeout is not None:
                        if self.assigned and now - max(idle_since, self._assigned_at) > idle_timeout:
                            break
                        if not self.assigned and now - idle_since > idle_timeout + JOIN_GRACE:
                            logger.warning(
                                "%s: no partitions assigned within %.0fs", self.spec.name, now - idle_since
                            )
                            break
                    continue
                idle_since = time.monotonic()
                try:
                    seen += self.process_batch(records)
                except Exception as exc:  # noqa: BLE001 - e.g. broker or database down: retry the batch later
                    self._batch_failed(records, exc)
                    continue
                if self._failed_batches:
                    logger.warning(
                        "%s: batches go through again after %d failure(s)",
                        self.spec.name,
                        self._failed_batches,
                    )
                    self._failed_batches = 0
                if max_messages is not None and seen >= max_messages:
                    break
        finally:
            self.consumer.close()
            self.dlq.flush(30)
        return self.stats

    def _batch_failed(self, records, exc: Exception) -> None:
        """Rewind the batch and wait, longer each time in a row (1 s doubling to 30 s): the broker or the
        database is away, and this consumer resumes by itself when it is back. Logged in full once."""
        connection.close_if_unusable_or_obsolete()  # a broken connection is replaced, not reused
        self._rewind(records)
        self._failed_batches += 1
        self.stats.errors.append(f"batch failed: {exc}"[:200])
        if self._failed_batches == 1:
            logger.exception("%s: batch failed, will be retried", self.spec.name)
        else:
            logger.warning(
                "%s: batch failed again (%d in a row): %s", self.spec.name, self._failed_batches, exc
            )
        self.stop_event.wait(min(30.0, 2.0 ** min(self._failed_batches - 1, 5)))

    def _rewind(self, records) -> None:
        """Seek each partition back to the batch's first record, so nothing of it is skipped."""
        from confluent_kafka import TopicPartition

        first: dict[tuple[str, int], int] = {}
        for record in records:
            key = (record.topic(), record.partition())
            first[key] = min(first.get(key, record.offset()), record.offset())
        for (topic, partition), offset in first.items():
            try:
                self.consumer.seek(TopicPartition(topic, partition, offset))
            except Exception:  # noqa: BLE001 - partition revoked meanwhile: its new owner resumes from the commit
                logger.warning("%s: cannot rewind %s[%d]", self.spec.name, topic, partition)

    def stop(self) -> None:
        self.stop_event.set()

    def _is_error(self, record) -> bool:
        error = record.error()
        if error is None:
            return False
        from confluent_kafka import KafkaError

        if error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
            self.guard.broker_away()
        if error.code() != KafkaError._PARTITION_EOF:
            logger.warning("%s: consumer error %s", self.spec.name, error)
        return True

    # -- one batch ----------------------------------------------------------------------------------
    def process_batch(self, records) -> int:
        """Handle a batch; commit offsets of every record handled or dead-lettered. Returns records done."""
        from confluent_kafka import TopicPartition

        done = []
        decoded: list[tuple[object, Event | None, str | None]] = []
        for record in records:
            try:
                decoded.append((record, decode(record.value(), record.headers()), None))
            except EnvelopeError as exc:
                decoded.append((record, None, str(exc)))
            except Exception as exc:  # noqa: BLE001 - whatever the bytes are, the process survives
                decoded.append((record, None, f"{type(exc).__name__}: {exc}"))
        with transaction.atomic():
            fresh = self._mark_processed([event.id for _, event, _ in decoded if event is not None])
            marked = set(fresh)
            all_decoded = decoded
            failed_first: str | None = None
            if self.spec.optimistic:
                ok, failed_first = self._optimistic(decoded, set(fresh), done)
                if ok:
                    decoded = []  # all handled in one go
            for record, event, decode_error in decoded:
                if self.stop_event.is_set() and done:
                    break  # finish the event in flight, leave the rest for redelivery
                if event is None:
                    self._dead_letter(record, f"undecodable: {decode_error}", "EnvelopeError", attempts=0)
                elif event.id not in fresh:
                    self.stats.duplicates += 1
                    metrics.CONSUMED.labels(consumer=self.spec.name, outcome="duplicate").inc()
                    fresh.discard(event.id)
                else:
                    fresh.discard(event.id)  # a second copy in the same batch is a duplicate
                    # the event that broke the optimistic pass has had its first attempt already
                    self._handle(record, event, first_attempt=2 if event.id == failed_first else 1)
                done.append(record)
            # events left for redelivery (a stop in mid-batch) must not stay marked as processed
            done_ids = {id(record) for record in done}
            handled_ids = {e.id for r, e, _ in all_decoded if e is not None and id(r) in done_ids}
            leftover = marked - handled_ids
            if leftover:
                ProcessedEvent.objects.filter(consumer=self.spec.name, event_id__in=leftover).delete()
            if self.dlq_pending:
                remaining, reason = flush_watched(self.dlq, self.dlq_watch, 30)
                if remaining:
                    if reason:  # the broker restarted without its state: a new producer for the redelivery
                        discard(self.dlq)
                        self.dlq_watch = ProducerWatch()
                        self.dlq = make_watched_producer(self.dlq_watch)
                    raise RuntimeError(
                        f"{remaining} dead letter(s) not acknowledged ({reason or 'timeout'}); "
                        "the batch will be redelivered"
                    )
                self.dlq_pending = 0
        offsets: dict[tuple[str, int], int] = {}
        for record in done:
            key = (record.topic(), record.partition())
            offsets[key] = max(offsets.get(key, -1), record.offset() + 1)
        if offsets:
            self.consumer.commit(
                offsets=[
                    TopicPartition(topic, partition, offset) for (topic, partition), offset in offsets.items()
                ],
                asynchronous=False,
            )
        self.stats.batches += 1
        return len(done)

    def _optimistic(self, decoded, fresh: set[str], done: list) -> tuple[bool, str | None]:
        """Handle the whole batch under one savepoint. (False, failing event id) if a handler raised."""
        if any(event is None for _, event, _ in decoded):
            return False, None  # dead letters to send: take the careful path
        handled = duplicates = 0
        current: str | None = None
        started = time.perf_counter()
        try:
            if self.batch_handler is not None:
                handled, duplicates = self._batch(decoded, fresh, done)
            else:
                with transaction.atomic():
                    for record, event, _ in decoded:
                        if self.stop_event.is_set() and done:
                            break
                        if event.id in fresh:
                            fresh.discard(event.id)
                            current = event.id
                            with _span(event, record.topic()):
                                self.handler(event)
                            handled += 1
                        else:
                            duplicates += 1
                        done.append(record)
        except Exception:  # noqa: BLE001 - some handler failed: redo the batch event by event
            done.clear()
            self.stats.retries += 1
            metrics.CONSUMED.labels(consumer=self.spec.name, outcome="retried").inc()
            return False, current
        self.stats.handled += handled
        self.stats.duplicates += duplicates
        metrics.CONSUMED.labels(consumer=self.spec.name, outcome="handled").inc(handled)
        metrics.CONSUMED.labels(consumer=self.spec.name, outcome="duplicate").inc(duplicates)
        if handled:
            metrics.HANDLE_SECONDS.labels(consumer=self.spec.name).observe(
                (time.perf_counter() - started) / handled
            )
        return True, None

    def _batch(self, decoded, fresh: set[str], done: list) -> tuple[int, int]:
        """The batch handler over the batch's fresh events, under one savepoint: (handled, duplicates)."""
        events = []
        for record, event, _ in decoded:
            if event.id in fresh:
                fresh.discard(event.id)
                events.append(event)
            done.append(record)
        if events:
            with _batch_span(events, self.spec.name), transaction.atomic():
                self.batch_handler(events)
        return len(events), len(decoded) - len(events)

    def _mark_processed(self, event_ids: list[str]) -> set[str]:
        if not event_ids:
            return set()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO dictamesh_events_processed (consumer, event_id, processed_at) "
                "SELECT %s, unnest(%s::varchar[]), now() "
                "ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id",
                [self.spec.name, list(dict.fromkeys(event_ids))],
            )
            return {row[0] for row in cursor.fetchall()}

    def _handle(self, record, event: Event, *, first_attempt: int = 1) -> None:
        started = time.perf_counter()
        if first_attempt > 1:
            time.sleep(backoff_delay(first_attempt - 1, self.spec.backoff_base, self.spec.backoff_max))
        for attempt in range(first_attempt, self.spec.max_attempts + 1):
            try:
                with _span(event, record.topic()), transaction.atomic():
                    self.handler(event)
            except Exception as exc:  # noqa: BLE001 - a handler's failure is retried, then dead-lettered
                if attempt >= self.spec.max_attempts:
                    logger.error(
                        "%s: event %s failed %d time(s), dead-lettering: %s",
                        self.spec.name,
                        event.id,
                        attempt,
                        exc,
                    )
                    self._dead_letter(record, str(exc), type(exc).__name__, attempts=attempt)
                    # not processed after all: a replay from the DLQ must be handled, not skipped
                    ProcessedEvent.objects.filter(consumer=self.spec.name, event_id=event.id).delete()
                    return
                self.stats.retries += 1
                metrics.CONSUMED.labels(consumer=self.spec.name, outcome="retried").inc()
                time.sleep(backoff_delay(attempt, self.spec.backoff_base, self.spec.backoff_max))
            else:
                self.stats.handled += 1
                metrics.CONSUMED.labels(consumer=self.spec.name, outcome="handled").inc()
                metrics.HANDLE_SECONDS.labels(consumer=self.spec.name).observe(time.perf_counter() - started)
                return

    def _dead_letter(self, record, error: str, error_type: str, *, attempts: int) -> None:
        headers = [(k, v) for k, v in (record.headers() or []) if not k.startswith(DLQ_PREFIX)]
        headers += [
            (f"{DLQ_PREFIX}error", error[:2000].encode("utf-8", "replace")),
            (f"{DLQ_PREFIX}error_type", error_type.encode()),
            (f"{DLQ_PREFIX}attempts", str(attempts).encode()),
            (f"{DLQ_PREFIX}consumer", self.spec.name.encode()),
            (f"{DLQ_PREFIX}original_topic", record.topic().encode()),
            (f"{DLQ_PREFIX}original_partition", str(record.partition()).encode()),
            (f"{DLQ_PREFIX}original_offset", str(record.offset()).encode()),
            (f"{DLQ_PREFIX}failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        self.dlq.produce(f"{record.topic()}.dlq", key=record.key(), value=record.value(), headers=headers)
        self.dlq.poll(0)
        self.dlq_pending += 1
        self.stats.dead_lettered += 1
        self.stats.errors.append(error[:200])
        metrics.CONSUMED.labels(consumer=self.spec.name, outcome="dead_lettered").inc()
