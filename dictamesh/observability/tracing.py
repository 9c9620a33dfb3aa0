"""OpenTelemetry tracing: Django, psycopg, Celery and outgoing HTTP (requests), exported over OTLP/HTTP.

On only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Celery's instrumentation injects the current trace
context into the headers of every task published, so a task started by a request continues its trace.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("dictamesh.tracing")
_configured = False


def configure(*, endpoint: str | None, service_name: str, role: str) -> bool:
    global _configured
    if not endpoint:
        return False
    if _configured:
        return True
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name, "dictamesh.process": role})
    )
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces"))
    )
    trace.set_tracer_provider(provider)
    for instrumentor in (
        DjangoInstrumentor(),
        PsycopgInstrumentor(),
        RequestsInstrumentor(),
        CeleryInstrumentor(),
    ):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument()
    _configured = True
    logger.info("tracing on: exporting to %s as %s (%s)", endpoint, service_name, role)
    return True


def enabled() -> bool:
    """Whether spans are exported (``configure`` ran with an endpoint)."""
    return _configured


def shutdown() -> None:
    """Flush pending spans (a process about to exit)."""
    if not _configured:
        return
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if hasattr(provider, "shutdown"):
        provider.shutdown()
