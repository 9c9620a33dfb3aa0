"""Kafka producers: idempotent, acks=all, ordered per partition."""

from __future__ import annotations

import json
import logging
import time

from django.conf import settings

logger = logging.getLogger("dictamesh.events")


CONSUMER_ONLY = ("session.timeout.ms", "heartbeat.interval.ms")  # in DICTAMESH_KAFKA, for consumers only


def client_config(**overrides) -> dict:
    """DICTAMESH_KAFKA for a producer or an admin client (without the consumers' group settings)."""
    conf = {k: v for k, v in settings.DICTAMESH_KAFKA.items() if k not in CONSUMER_ONLY}
    conf.update(overrides)
    return conf


def consumer_config(*, short_session: bool = False, **overrides) -> dict:
    """DICTAMESH_KAFKA for a consumer: with its group settings (session timeout, heartbeats). A
    ``short_session`` (a command's one-off group: a tail, a DLQ replay) is at most 6 s, so that joining the
    group is quick (tansu makes a new group's first member wait half of it)."""
    conf = dict(settings.DICTAMESH_KAFKA)
    if short_session:
        conf["session.timeout.ms"] = min(6000, int(conf.get("session.timeout.ms", 6000)))
    conf.update(overrides)
    return conf


def make_producer(**overrides):
    from confluent_kafka import Producer

    timeout_ms = int(settings.DICTAMESH_PUBLISH_TIMEOUT_SECONDS * 1000)
    conf = client_config(
        **{
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "batch.num.messages": 10000,
            "queue.buffering.max.messages": 500000,
            "message.timeout.ms": timeout_ms,
            "client.id": f"dictamesh-{settings.DICTAMESH_PROCESS}",
        }
    )
    conf.update(overrides)
    return Producer(conf, logger=logger)


STALL_SECONDS = 1.0  # a flush not done within this looks at why
STATS_INTERVAL_MS = 1000  # how often a watched producer reports its id and epoch


class ProducerWatch:
    """What one producer last reported about its idempotent identity (librdkafka's statistics, ``eos``).

    A broker that restarted without its state (tansu keeps it in memory; a rebuilt cluster) answers
    "unknown producer id" to every batch of a producer it has forgotten. librdkafka then bumps the epoch
    and retries, in a loop, until the messages time out (``message.timeout.ms``, 30 s here), without
    reporting anything. A rising epoch during a flush is the sign: the caller gives the batch to a new
    producer instead of waiting.
    """

    def __init__(self):
        self.raw: str | None = None

    def config(self) -> dict:
        return {"statistics.interval.ms": STATS_INTERVAL_MS, "stats_cb": self._keep}

    def _keep(self, raw: str) -> None:
        self.raw = raw  # parsed only when a flush stalls

    def identity(self) -> tuple[int, int] | None:
        if not self.raw:
            return None
        eos = json.loads(self.raw).get("eos") or {}
        return eos.get("producer_id", -1), eos.get("producer_epoch", -1)


def make_watched_producer(watch: ProducerWatch, **overrides):
    return make_producer(**watch.config(), **overrides)


def flush_watched(producer, watch: ProducerWatch, timeout: float, *, stalled=None) -> tuple[int, str | None]:
    """Flush for up to ``timeout``; return how many messages are still queued, and why when waiting on
    would not help: the broker forgot the producer (see ``ProducerWatch``), or ``stalled()`` (asked once a
    second while the flush stalls) gave a reason. The caller then purges and starts a new producer."""
    deadline = time.monotonic() + timeout
    identity = watch.identity()
    while True:
        left = deadline - time.monotonic()
        remaining = producer.flush(max(0.0, min(STALL_SECONDS, left)))
        if not remaining or left <= STALL_SECONDS:
            return remaining, None
        reason = stalled() if stalled else None
        if reason:
            return remaining, reason
        if identity is not None and watch.identity() != identity:
            return remaining, "the broker forgot this producer's id; sent again by a new producer"
        identity = identity or watch.identity()


def discard(producer) -> None:
    """Drop what a producer still queues (its rows or records are sent again by its successor)."""
    producer.purge()
    producer.flush(0)
