"""dictamesh_outbox_*, dictamesh_consumer_* and dictamesh_router_* metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

OUTBOX_PUBLISHED = Counter("dictamesh_outbox_published_total", "Outbox rows published to Kafka.", ["topic"])
OUTBOX_ERRORS = Counter(
    "dictamesh_outbox_publish_errors_total", "Outbox rows the broker did not acknowledge."
)
CONSUMED = Counter(
    "dictamesh_consumer_messages_total",
    "Messages consumed, by consumer and outcome (handled, duplicate, retried, dead_lettered).",
    ["consumer", "outcome"],
)
HANDLE_SECONDS = Histogram(
    "dictamesh_consumer_handle_seconds",
    "Time to handle one event (including its transaction).",
    ["consumer"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5),
)
TOPICS_RECREATED = Counter(
    "dictamesh_events_topics_recreated_total",
    "Declared topics a relay or consumer found missing on the broker and created again.",
    ["process"],
)
ROUTER = Counter(
    "dictamesh_router_rule_total",
    "Event-router rule outcomes (matched, forwarded, failed).",
    ["rule", "outcome"],
)


class OutboxCollector:
    """dictamesh_outbox_backlog and dictamesh_outbox_lag_seconds, read from the database at scrape time."""

    def describe(self):
        # without describe(), prometheus_client calls collect() at registration: a query during app init
        yield GaugeMetricFamily("dictamesh_outbox_backlog", "Outbox rows not yet published.")
        yield GaugeMetricFamily("dictamesh_outbox_lag_seconds", "Age of the oldest unpublished outbox row.")

    def collect(self):
        from django.db import connection
        from django.db.utils import DatabaseError

        backlog = GaugeMetricFamily("dictamesh_outbox_backlog", "Outbox rows not yet published.")
        lag = GaugeMetricFamily("dictamesh_outbox_lag_seconds", "Age of the oldest unpublished outbox row.")
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) "
                    "FROM dictamesh_events_outbox WHERE sent_at IS NULL"
                )
                count, age = cursor.fetchone()
        except DatabaseError:
            return
        backlog.add_metric([], float(count))
        lag.add_metric([], float(age))
        yield backlog
        yield lag
