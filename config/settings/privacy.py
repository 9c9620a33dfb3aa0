"""Data-subject requests (GDPR, CCPA) and the saga engine that runs them."""

from config.env import ENV

DICTAMESH_SAGAS = ENV.list(
    "DICTAMESH_SAGAS",
    default=["apps.privacy.sagas"],
    doc="Modules that register the deployment's saga definitions (imported when a worker first needs one).",
)
DICTAMESH_SAGA_INLINE = ENV.bool(
    "DICTAMESH_SAGA_INLINE",
    default=False,
    doc="Run saga steps in the process that queues them instead of a Celery worker (tests, one-shot commands).",
)
DICTAMESH_SAGA_QUEUE = ENV.str(
    "DICTAMESH_SAGA_QUEUE",
    default="",
    doc="Celery queue saga steps are sent to (empty: the default queue).",
)
DICTAMESH_DSR_KEY = ENV.str(
    "DICTAMESH_DSR_KEY",
    default="",
    secret=True,
    doc=(
        "Key that encrypts data-subject identifiers and exports at rest (any string; empty: derived from "
        "SECRET_KEY). Changing it makes open requests' identifiers and exports unreadable."
    ),
)
DICTAMESH_DSR_EXPORT_HOURS = ENV.int(
    "DICTAMESH_DSR_EXPORT_HOURS",
    default=72,
    minimum=1,
    doc="How long a data-subject export's download link works (it works once).",
)
DICTAMESH_DSR_REMINDER_DAYS = ENV.list(
    "DICTAMESH_DSR_REMINDER_DAYS",
    default=["7", "2"],
    doc="Days before a request's deadline when its steward and the sources' owners are reminded.",
)
