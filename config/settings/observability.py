"""Logs, metrics, traces and error reporting."""

from config.env import ENV

DICTAMESH_LOG_LEVEL = ENV.choice(
    "DICTAMESH_LOG_LEVEL",
    ("DEBUG", "INFO", "WARNING", "ERROR"),
    default="INFO",
    doc="Lowest level of log records written.",
)
DICTAMESH_LOG_FORMAT = ENV.choice(
    "DICTAMESH_LOG_FORMAT",
    ("json", "console"),
    default="console" if ENV.name == "dev" else "json",
    doc="json: one JSON object a line (request_id, trace_id, span_id); console: one readable line.",
)
OTEL_EXPORTER_OTLP_ENDPOINT = ENV.str(
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    default=None,
    doc="OTLP/HTTP endpoint (e.g. http://otel-collector:4318). Tracing is on when set.",
)
OTEL_SERVICE_NAME = ENV.str("OTEL_SERVICE_NAME", default="dictamesh", doc="service.name of exported traces.")
SENTRY_DSN = ENV.str(
    "SENTRY_DSN", default=None, doc="Sentry DSN. Error reporting is on when set.", secret=True
)
SENTRY_TRACES_SAMPLE_RATE = ENV.float(
    "SENTRY_TRACES_SAMPLE_RATE", default=0.0, doc="Share of requests Sentry traces (0..1)."
)
PROMETHEUS_MULTIPROC_DIR = ENV.str(
    "PROMETHEUS_MULTIPROC_DIR",
    default=None,
    doc="Directory shared by the processes of one host so /metrics aggregates all of them (web, workers).",
)
DICTAMESH_METRICS_PORT = ENV.int(
    "DICTAMESH_METRICS_PORT",
    default=0,
    minimum=0,
    doc="Port where a Celery worker or event process serves its own /metrics; 0 = none.",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "dictamesh.observability.logging.ContextFilter"}},
    "formatters": {
        "json": {"()": "dictamesh.observability.logging.JsonFormatter"},
        "console": {"()": "dictamesh.observability.logging.ConsoleFormatter"},
    },
    "handlers": {
        "default": {
            "class": "logging.StreamHandler",
            "formatter": DICTAMESH_LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["default"], "level": DICTAMESH_LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "celery": {"level": DICTAMESH_LOG_LEVEL},
        "kafka": {"level": "WARNING"},
    },
}
