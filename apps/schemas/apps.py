from django.apps import AppConfig


class SchemasConfig(AppConfig):
    """Versioned schema registry, wire-compatible with Confluent Schema Registry."""

    name = "apps.schemas"
    label = "schemas"
    verbose_name = "Schemas"
