"""Adapters' topics: instances configured, and sync runs (keyed by instance)."""

from dictamesh.events.topics import DAY_MS, Topic

INSTANCE_TOPIC = Topic(
    "dictamesh.adapters.instance.v1",
    partitions=1,
    retention_ms=30 * DAY_MS,
    description="Adapter instances created, changed and removed (their configuration holds no secrets).",
)
SYNC_TOPIC = Topic(
    "dictamesh.adapters.sync.v1",
    partitions=3,
    retention_ms=30 * DAY_MS,
    description="Sync runs finished: succeeded (with counts), failed (with the error and the owners), cancelled.",
)
TOPICS = [INSTANCE_TOPIC, SYNC_TOPIC]

INSTANCE_CREATED = "dictamesh.adapters.instance.created"
INSTANCE_UPDATED = "dictamesh.adapters.instance.updated"
INSTANCE_DELETED = "dictamesh.adapters.instance.deleted"
SYNC_SUCCEEDED = "dictamesh.adapters.sync.succeeded"
SYNC_FAILED = "dictamesh.adapters.sync.failed"
SYNC_CANCELLED = "dictamesh.adapters.sync.cancelled"
