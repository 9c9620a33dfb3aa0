"""Notifications' topic: its own configuration changed (subscriptions, preferences, templates)."""

from dictamesh.events.topics import DAY_MS, Topic

CONFIG_TOPIC = Topic(
    "dictamesh.notifications.config.v1",
    partitions=1,
    retention_ms=400 * DAY_MS,
    description="Subscriptions created, changed and deleted; preferences set and removed; templates changed.",
)
TOPICS = [CONFIG_TOPIC]

SUBSCRIPTION_CREATED = "dictamesh.notifications.subscription.created"
SUBSCRIPTION_UPDATED = "dictamesh.notifications.subscription.updated"
SUBSCRIPTION_DELETED = "dictamesh.notifications.subscription.deleted"
PREFERENCE_SET = "dictamesh.notifications.preference.set"
PREFERENCE_DELETED = "dictamesh.notifications.preference.deleted"
TEMPLATE_CHANGED = "dictamesh.notifications.template.changed"
TEMPLATE_DELETED = "dictamesh.notifications.template.deleted"
