"""Kafka producers: idempotent, acks=all, ordered per partition."""

from __future__ import annotations

import logging

from django.conf import settings

logger = logging.getLogger("dictamesh.events")


def client_config(**overrides) -> dict:
    conf = {k: v for k, v in settings.DICTAMESH_KAFKA.items() if k != "session.timeout.ms"}
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
