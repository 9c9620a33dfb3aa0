"""Topics are declared in code: name, partitions, retention, cleanup policy, payload format.

Names follow ``dictamesh.<app>.<stream>.v1``; each topic has a dead-letter topic ``<name>.dlq``. The
composition root (``settings.DICTAMESH_EVENTS``, a module path) lists the topics and consumers of the
deployment; ``manage.py kafka_topics sync`` makes the broker match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

NAME = re.compile(r"^dictamesh\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.v[0-9]+$")
DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int = 6
    retention_ms: int = 7 * DAY_MS
    cleanup_policy: str = "delete"  # delete | compact | compact,delete
    format: str = "json"  # json | avro (Confluent wire format, once a schema registry is configured)
    description: str = ""
    avro_schema: str | None = None  # the data's Avro schema: registered as <name>-value by topic sync

    def __post_init__(self) -> None:
        if not NAME.match(self.name):
            raise ValueError(f"topic {self.name!r} must be named dictamesh.<app>.<stream>.v<N>")
        if self.cleanup_policy not in ("delete", "compact", "compact,delete"):
            raise ValueError(f"topic {self.name}: unknown cleanup policy {self.cleanup_policy!r}")
        if self.format not in ("json", "avro"):
            raise ValueError(f"topic {self.name}: format must be json or avro")
        if self.avro_schema is not None and self.format != "avro":
            raise ValueError(f"topic {self.name}: an Avro schema needs format='avro'")
        if self.partitions < 1:
            raise ValueError(f"topic {self.name}: partitions must be at least 1")

    @property
    def dlq(self) -> str:
        return f"{self.name}.dlq"

    def config(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": self.cleanup_policy}

    def dlq_config(self) -> dict[str, str]:
        return {"retention.ms": str(30 * DAY_MS), "cleanup.policy": "delete"}


def topic_for_type(event_type: str) -> str:
    """``dictamesh.catalog.entity.updated`` → ``dictamesh.catalog.entity.v1``."""
    parts = event_type.split(".")
    if len(parts) < 4 or parts[0] != "dictamesh":
        raise ValueError(f"event type {event_type!r} must look like dictamesh.<app>.<stream>.<action>")
    return ".".join(parts[:3]) + ".v1"


@cache
def registry():
    """The deployment's Registry (topics and consumers), from settings.DICTAMESH_EVENTS."""
    return import_string(settings.DICTAMESH_EVENTS + ".REGISTRY")


def registered_topics() -> dict[str, Topic]:
    return {topic.name: topic for topic in registry().topics}


def get_topic(name: str) -> Topic:
    topics = registered_topics()
    if name not in topics:
        raise KeyError(f"topic {name!r} is not declared; declared: {', '.join(sorted(topics)) or 'none'}")
    return topics[name]


def reset_registry_cache() -> None:
    registry.cache_clear()
