"""The event backbone: outbox relay, consumers, retention of sent and processed rows."""

from config.env import ENV

DICTAMESH_EVENTS = ENV.str(
    "DICTAMESH_EVENTS_REGISTRY",
    default="config.events",
    doc="Module whose REGISTRY lists the deployment's topics and consumers (tests point it elsewhere).",
)
DICTAMESH_EVENT_SOURCE = ENV.str(
    "DICTAMESH_EVENT_SOURCE",
    default="dictamesh",
    doc="CloudEvents `source` of the events this deployment publishes (e.g. dictamesh://prod-eu).",
)
DICTAMESH_KAFKA_REPLICATION_FACTOR = ENV.int(
    "DICTAMESH_KAFKA_REPLICATION_FACTOR",
    default=3 if ENV.name == "prod" else 1,
    minimum=1,
    doc="Replication factor of topics that `kafka_topics sync` creates.",
)
DICTAMESH_OUTBOX_BATCH = ENV.int(
    "DICTAMESH_OUTBOX_BATCH", default=1000, minimum=1, doc="Outbox rows the relay publishes per transaction."
)
DICTAMESH_OUTBOX_POLL_SECONDS = ENV.float(
    "DICTAMESH_OUTBOX_POLL_SECONDS",
    default=1.0,
    doc="How often the relay looks for rows when nothing woke it (commits wake it at once).",
)
DICTAMESH_OUTBOX_RETENTION_HOURS = ENV.int(
    "DICTAMESH_OUTBOX_RETENTION_HOURS",
    default=72,
    minimum=1,
    doc="Sent outbox rows older than this are pruned (beat task, hourly).",
)
DICTAMESH_PROCESSED_RETENTION_DAYS = ENV.int(
    "DICTAMESH_PROCESSED_RETENTION_DAYS",
    default=14,
    minimum=1,
    doc="Days a consumer remembers the events it handled (keep it above topic retention so replays dedupe).",
)
DICTAMESH_PUBLISH_TIMEOUT_SECONDS = ENV.float(
    "DICTAMESH_PUBLISH_TIMEOUT_SECONDS",
    default=30.0,
    doc="How long the relay waits for the broker to acknowledge a batch before retrying it later.",
)
DICTAMESH_EVENT_LOG_GUARD = ENV.str(
    "DICTAMESH_EVENT_LOG_GUARD",
    default="apps.governance.public.event_log_guard",
    doc=(
        "Dotted path of `guard(request, rows)`, which filters and masks the event log each caller reads "
        "(REST /api/v1/events, GraphQL events): governance's, so the log shows no more than the catalog does."
    ),
)
