"""Kafka producers: idempotent, acks=all, ordered per partition."""

from __future__ import annotations

import logging

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
