"""The catalog's topics: entity changes and relationship changes (keyed by URN, so per-entity order holds)."""

from dictamesh.events.topics import DAY_MS, Topic

ENTITY_TOPIC = Topic(
    "dictamesh.catalog.entity.v1",
    partitions=6,
    retention_ms=14 * DAY_MS,
    description="Entities registered, updated, deprecated, restored, deleted (state after, changed fields).",
)
RELATIONSHIP_TOPIC = Topic(
    "dictamesh.catalog.relationship.v1",
    partitions=6,
    retention_ms=14 * DAY_MS,
    description="Relationships added, updated and removed between entities.",
)
TOPICS = [ENTITY_TOPIC, RELATIONSHIP_TOPIC]

ENTITY_REGISTERED = "dictamesh.catalog.entity.registered"
ENTITY_UPDATED = "dictamesh.catalog.entity.updated"
ENTITY_DEPRECATED = "dictamesh.catalog.entity.deprecated"
ENTITY_RESTORED = "dictamesh.catalog.entity.restored"
ENTITY_DELETED = "dictamesh.catalog.entity.deleted"
RELATIONSHIP_ADDED = "dictamesh.catalog.relationship.added"
RELATIONSHIP_UPDATED = "dictamesh.catalog.relationship.updated"
RELATIONSHIP_REMOVED = "dictamesh.catalog.relationship.removed"
