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
    "dictamesh-saga-sweep": {"task": "dictamesh.saga.sweep", "schedule": 15.0},
    "dictamesh-privacy-deadlines": {"task": "dictamesh.privacy.deadlines", "schedule": 3600.0},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
