"""The Celery application. Tasks live in each app's tasks.py and are found by autodiscovery."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("dictamesh", task_cls="dictamesh.tasks:DictaMeshTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_process_init.connect(weak=False)
def _init_worker_process(**_kwargs):
    """Prefork children: set tracing up after the fork (exporter threads do not survive fork)."""
    from django.conf import settings

    from dictamesh.observability import tracing

    tracing.configure(
        endpoint=settings.OTEL_EXPORTER_OTLP_ENDPOINT,
        service_name=settings.OTEL_SERVICE_NAME,
        role="worker",
    )


@signals.worker_process_shutdown.connect(weak=False)
def _shutdown_worker_process(**_kwargs):
    from dictamesh.observability import tracing

    tracing.shutdown()


@signals.worker_ready.connect(weak=False)
def _serve_worker_metrics(**_kwargs):
    """A worker serves its own /metrics on DICTAMESH_METRICS_PORT (compose scrapes it)."""
    from django.conf import settings

    port = settings.DICTAMESH_METRICS_PORT
    if port:
        from dictamesh.observability.metrics import serve_metrics

        serve_metrics(port)
