from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Logs, metrics, traces and error reporting, set up once per process."""

    name = "dictamesh.observability"
    label = "dictamesh_observability"
    verbose_name = "DictaMesh observability"

    def ready(self) -> None:
        from django.conf import settings

        from . import celery_metrics, metrics, sentry, tracing

        metrics.register_collectors()
        celery_metrics.connect()
        sentry.configure(
            dsn=settings.SENTRY_DSN,
            environment=settings.DICTAMESH_ENV,
            traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        )
        if settings.DICTAMESH_PROCESS != "worker":
            # prefork worker children set tracing up after the fork (worker_process_init)
            tracing.configure(
                endpoint=settings.OTEL_EXPORTER_OTLP_ENDPOINT,
                service_name=settings.OTEL_SERVICE_NAME,
                role=settings.DICTAMESH_PROCESS,
            )
