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

        from django.core.signals import setting_changed

        setting_changed.connect(_registry_setting_changed, weak=False)

        from django.db.models.signals import post_delete, post_save

        from .models import RoutingRule
        from .router import rules_changed

        post_save.connect(rules_changed, sender=RoutingRule, dispatch_uid="dictamesh.events.rule_saved")
        post_delete.connect(rules_changed, sender=RoutingRule, dispatch_uid="dictamesh.events.rule_deleted")


def _registry_setting_changed(*, setting, **_kwargs) -> None:
    if setting == "DICTAMESH_EVENTS":
        from .topics import reset_registry_cache

        reset_registry_cache()
