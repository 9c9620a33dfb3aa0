"""The registry's topic: versions registered and deleted, schemas rejected as incompatible (keyed by subject)."""

from dictamesh.events.topics import DAY_MS, Topic

SUBJECT_TOPIC = Topic(
    "dictamesh.schemas.subject.v1",
    partitions=3,
    retention_ms=30 * DAY_MS,
    description="Schema versions registered and deleted, and registrations rejected as incompatible.",
)
TOPICS = [SUBJECT_TOPIC]

VERSION_REGISTERED = "dictamesh.schemas.subject.version_registered"
VERSION_DELETED = "dictamesh.schemas.subject.version_deleted"
SUBJECT_DELETED = "dictamesh.schemas.subject.deleted"
COMPATIBILITY_REJECTED = "dictamesh.schemas.subject.compatibility_rejected"
