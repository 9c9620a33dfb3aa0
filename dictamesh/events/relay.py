"""The outbox relay: publishes committed outbox rows to Kafka, in order per key, and marks them sent.

Several relays may run. Each batch takes transaction-scoped advisory locks on the outbox shards it can
get (``pg_try_advisory_xact_lock``): one shard is published by one relay at a time, which keeps the
events of a key in order, and rows are leased with ``FOR UPDATE SKIP LOCKED`` so no row goes out twice
from two relays. A crash between the broker's acknowledgement and the commit republishes those rows on
restart (at least once): consumers deduplicate by event id.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from . import metrics
from .envelope import Event
from .models import SHARDS
from .outbox import NOTIFY_CHANNEL
from .producer import ProducerWatch, discard, flush_watched, make_watched_producer
from .serialization import encode_stored
from .topic_guard import TopicGuard
from .topics import get_topic, registered_topics

logger = logging.getLogger("dictamesh.events.relay")
LOCK_NAMESPACE = 0x444D  # "DM": first key of the two-int advisory locks on outbox shards


@dataclass
class BatchResult:
    published: int = 0
    failed: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    resend: bool = False  # the broker lost its state: what failed goes again at once, by a new producer


class OutboxRelay:
    def __init__(self, *, batch_size: int | None = None, poll_interval: float | None = None, producer=None):
        self.batch_size = batch_size or settings.DICTAMESH_OUTBOX_BATCH
        self.poll_interval = (
            settings.DICTAMESH_OUTBOX_POLL_SECONDS if poll_interval is None else poll_interval
        )
        self.timeout = settings.DICTAMESH_PUBLISH_TIMEOUT_SECONDS
        self.guard = TopicGuard(lambda: list(registered_topics().values()), process="relay")
        self._own_producer = producer is None
        self.producer = producer or self._new_producer()
        self.stop_event = threading.Event()
        self._failures_in_a_row = 0
        self._away_since: float | None = None  # since when the database has been unreachable

    def _new_producer(self):
        self.watch = ProducerWatch()
        # never let the broker auto-create a declared topic with its own defaults: the guard creates it
        return make_watched_producer(
            self.watch, **{"allow.auto.create.topics": False, "error_cb": self.guard.error_cb}
        )

    def _broker_failed(self, *, recheck: bool = True) -> None:
        """After a batch the broker did not take: check the topics again, and start a new producer.

        A broker that lost its state also forgot the idempotent producer's id and sequence numbers: the
        old producer's retries would fail until they time out. What it still queues is purged (those rows
        stay unsent and go out again, in order, with the next batch).
        """
        if recheck:
            self.guard.broker_away()
        if self._own_producer:
            discard(self.producer)
            self.producer = self._new_producer()

    # -- one batch ----------------------------------------------------------------------------------
    _FETCH = (
        "SELECT id, event_id, topic, key, type, source, subject, time, data::text, dataschema, traceparent, actor "
        "FROM dictamesh_events_outbox WHERE sent_at IS NULL AND shard = ANY(%s) "
        "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED"
    )

    def run_once(self) -> BatchResult:
        result = BatchResult()
        by_topic: dict[str, int] = {}
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT s FROM generate_series(0, %s) AS s WHERE pg_try_advisory_xact_lock(%s, s)",
                [SHARDS - 1, LOCK_NAMESPACE],
            )
            shards = [row[0] for row in cursor.fetchall()]
            if not shards:
                return result
            cursor.execute(self._FETCH, [shards, self.batch_size])
            rows = cursor.fetchall()
            if not rows:
                return result
            outcome: dict[int, str | None] = {}
            topics: dict[int, str] = {}
            unavailable = (
                None if self.guard.check() else "the broker is unreachable or its topics are unchecked"
            )

            def on_delivery(row_id):
                def callback(err, _msg):
                    outcome[row_id] = None if err is None else str(err)

                return callback

            for (
                row_id,
                event_id,
                topic_name,
                key,
                type_,
                source,
                subject,
                time,
                data,
                schema,
                parent,
                actor,
            ) in rows:
                topics[row_id] = topic_name
                if unavailable:
                    outcome[row_id] = unavailable
                    continue
                try:
                    event = Event(
                        id=str(event_id),
                        type=type_,
                        source=source,
                        subject=subject,
                        time=time,
                        data=None,
                        dataschema=schema or None,
                        traceparent=parent or None,
                        actor=actor or None,
                    )
                    value, event = encode_stored(get_topic(topic_name), event, data)
                except Exception as exc:  # noqa: BLE001 - a row that cannot be encoded must not block the others
                    outcome[row_id] = f"cannot encode: {exc}"
                    continue
                while True:
                    try:
                        self.producer.produce(
                            topic_name,
                            key=key.encode(),
                            value=value,
                            headers=event.headers(),
                            on_delivery=on_delivery(row_id),
                        )
                        break
                    except BufferError:
                        self.producer.poll(0.05)  # local queue full: let deliveries drain
            remaining, lost = self._flush() if not unavailable else (0, None)
            sent = [row_id for row_id in topics if row_id in outcome and outcome[row_id] is None]
            sent_set = set(sent)
            failed: dict[str, list[int]] = {}
            for row_id in topics:
                if row_id not in sent_set:
                    error = outcome.get(row_id) or lost or f"not acknowledged within {self.timeout:.0f}s"
                    failed.setdefault(error[:2000], []).append(row_id)
            if sent:
                cursor.execute(
                    "UPDATE dictamesh_events_outbox SET sent_at = now() WHERE id = ANY(%s)", [sent]
                )
            for error, ids in failed.items():
                cursor.execute(
                    "UPDATE dictamesh_events_outbox SET attempts = attempts + 1, last_error = %s WHERE id = ANY(%s)",
                    [error, ids],
                )
            result.published = len(sent)
            result.failed = sum(len(ids) for ids in failed.values())
            result.errors = {str(ids[0]): error for error, ids in list(failed.items())[:5]}
            result.resend = lost is not None
            if remaining and not lost:
                logger.warning("%d message(s) still queued after %.0fs", remaining, self.timeout)
            for row_id in sent:
                by_topic[topics[row_id]] = by_topic.get(topics[row_id], 0) + 1
        for topic_name, count in by_topic.items():
            metrics.OUTBOX_PUBLISHED.labels(topic=topic_name).inc(count)
        if result.failed:
            if result.resend:  # the topics were checked just now
                self._broker_failed(recheck=False)
            elif any(not error.startswith("cannot encode") for error in result.errors.values()):
                self._broker_failed()
            metrics.OUTBOX_ERRORS.inc(result.failed)
            logger.log(
                logging.WARNING if result.resend else logging.ERROR,
                "relay: %d published, %d failed, e.g. %s",
                result.published,
                result.failed,
                result.errors,
            )
        return result

    def _flush(self) -> tuple[int, str | None]:
        """Wait for the batch's acknowledgements, up to the publish timeout; return how many are still
        queued, and why when the broker is known to have lost its state (``flush_watched``).

        A broker restarted within a reconnect forgot the producer's id and may lack the declared topics
        ("unknown topic", retried by librdkafka until its next metadata refresh, some 25 s on tansu): a
        stalled batch has them checked and created again, and then goes to a new producer at once.
        """
        if not self._own_producer:
            return self.producer.flush(self.timeout), None

        def topics_lost() -> str | None:
            created = self.guard.recreated()
            return (
                f"the broker came back without {len(created)} declared topic(s); sent again"
                if created
                else None
            )

        return flush_watched(self.producer, self.watch, self.timeout, stalled=topics_lost)

    # -- the loop -----------------------------------------------------------------------------------
    def drain(self) -> int:
        """Publish until nothing is left (or a batch fails); return how many went out."""
        total = 0
        while not self.stop_event.is_set():
            result = self.run_once()
            total += result.published
            if result.failed:
                self._failures_in_a_row += 1
                if result.resend and self._failures_in_a_row == 1:
                    continue  # a new producer for a broker that restarted: at once, the first time
                backoff = min(30.0, 0.5 * 2 ** min(self._failures_in_a_row, 6))
                self.stop_event.wait(backoff)
                return total
            self._failures_in_a_row = 0
            if result.published < self.batch_size:
                return total
        return total

    def run(self) -> None:
        """Publish forever: wake on NOTIFY (a commit) or every poll interval; stop on stop_event.

        PostgreSQL away is waited out: the error is logged once, the relay retries with backoff (0.5 s
        doubling to 30 s) and resumes by itself; what was not marked sent goes out then.
        """
        import psycopg
        from django.db import DatabaseError

        logger.info("outbox relay running (batch %d, poll %.1fs)", self.batch_size, self.poll_interval)
        failures = 0
        try:
            while not self.stop_event.is_set():
                try:
                    self._serve(psycopg)
                except (DatabaseError, psycopg.Error) as exc:
                    connection.close()  # a broken connection is never reused
                    failures += 1
                    if self._away_since is None:
                        self._away_since = time.monotonic()
                        logger.error("relay: the database is unreachable (%s); retrying with backoff", exc)
                    self.stop_event.wait(min(30.0, 0.25 * 2 ** min(failures, 7)))
                    continue
                failures = 0
        finally:
            self.producer.flush(self.timeout)

    def _serve(self, psycopg) -> None:
        conninfo = {**_conninfo(), "application_name": f"dictamesh-{settings.DICTAMESH_PROCESS}-listen"}
        listener = psycopg.connect(**conninfo, autocommit=True)
        try:
            listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
            if self._away_since is not None:
                logger.warning("relay: the database is back after %.1fs", time.monotonic() - self._away_since)
                self._away_since = None
            while not self.stop_event.is_set():
                self.drain()
                waited = 0.0
                while waited < self.poll_interval and not self.stop_event.is_set():
                    # in short slices, so that a stop request is noticed within a second
                    if list(listener.notifies(timeout=min(1.0, self.poll_interval - waited), stop_after=1)):
                        break
                    waited += 1.0
        finally:
            listener.close()


def _conninfo() -> dict:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params.pop("pool", None)
    return params
