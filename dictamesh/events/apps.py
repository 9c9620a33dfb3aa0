from django.apps import AppConfig


class EventsConfig(AppConfig):
    """The event backbone: outbox, relay to Kafka, immutable event log, consumers with retries and DLQ, router."""

    name = "dictamesh.events"
    label = "dictamesh_events"
    verbose_name = "DictaMesh events"

    def ready(self) -> None:
        from dictamesh.observability.metrics import register_live_collector

        from .metrics import OutboxCollector

        register_live_collector(OutboxCollector())
