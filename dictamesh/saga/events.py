"""The saga engine's topic: every transition of every instance, typed ``dictamesh.saga.<name>.<transition>``
(started, step_started, step_completed, step_retrying, step_waiting, step_signalled, step_failed,
step_skipped, step_retry_requested, cancelled, compensating, step_compensating, step_compensated,
step_not_compensated, step_kept, completed, compensated, failed), keyed by instance: one instance's
transitions stay in order."""

from dictamesh.events.topics import DAY_MS, Topic

SAGA_TOPIC = Topic(
    "dictamesh.saga.instance.v1",
    partitions=3,
    retention_ms=400 * DAY_MS,
    description="Saga instances: every transition of an instance and its steps.",
)
TOPICS = [SAGA_TOPIC]
