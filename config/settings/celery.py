"""Celery: broker, results, time limits. The app itself lives in config/celery.py."""

from config.env import ENV

from .redis import REDIS_URL

CELERY_BROKER_URL = ENV.url(
    "CELERY_BROKER_URL",
    default=REDIS_URL,
    doc="Celery broker; defaults to REDIS_URL (Redis keeps Celery's remote control working).",
    schemes=("redis", "rediss", "amqp", "amqps"),
)
CELERY_RESULT_BACKEND = ENV.url(
    "CELERY_RESULT_BACKEND",
    default=REDIS_URL,
    doc="Where Celery stores task results; defaults to REDIS_URL.",
    schemes=("redis", "rediss", "django-db", "rpc"),
)
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = ENV.int(
    "CELERY_TASK_TIME_LIMIT", default=600, minimum=1, doc="Hard time limit of any Celery task, seconds."
)
CELERY_TASK_SOFT_TIME_LIMIT = ENV.int(
    "CELERY_TASK_SOFT_TIME_LIMIT", default=540, minimum=1, doc="Soft time limit of any Celery task, seconds."
)
CELERY_RESULT_EXPIRES = 3600
# Nothing reads a task's result: a task sent does not subscribe to one (with Redis away, the subscription
# retried for 19 s and then left the result store broken until a restart).
CELERY_TASK_IGNORE_RESULT = True
# Sending a task while the broker is away fails in about a second, not after minutes of retries: the
# callers keep what must be redone (an outbox row, a run queued, a sweep).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "dictamesh"
CELERY_BEAT_SCHEDULE: dict = {
    "dictamesh-events-prune": {"task": "dictamesh.events.prune", "schedule": 3600.0},
    "dictamesh-lineage-apply-pending": {"task": "dictamesh.lineage.apply_pending", "schedule": 60.0},
    "dictamesh-lineage-freshness": {"task": "dictamesh.lineage.freshness", "schedule": 60.0},
    "dictamesh-adapters-sync-due": {"task": "dictamesh.adapters.sync_due", "schedule": 60.0},
    "dictamesh-governance-propagate": {"task": "dictamesh.governance.propagate", "schedule": 600.0},
    "dictamesh-governance-retention": {"task": "dictamesh.governance.retention", "schedule": 86400.0},
    "dictamesh-notifications-sweep": {"task": "dictamesh.notifications.sweep", "schedule": 60.0},
    "dictamesh-notifications-digests": {"task": "dictamesh.notifications.digests", "schedule": 300.0},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
