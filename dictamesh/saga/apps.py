from django.apps import AppConfig


class SagaConfig(AppConfig):
    """Durable sagas: ordered steps with compensations, state in PostgreSQL, steps run by Celery (ADR 0031)."""

    name = "dictamesh.saga"
    label = "dictamesh_saga"
    verbose_name = "Sagas"
