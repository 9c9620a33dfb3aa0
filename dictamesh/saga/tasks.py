"""The saga engine's Celery tasks: advance an instance; the beat sweep of what was left behind."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="dictamesh.saga.advance", autoretry_for=())
def advance(instance_id: str) -> str | None:
    """Idempotent: a redelivered or duplicated message finds the step claimed, or done, and does nothing."""
    from .engine import advance as run

    return run(instance_id)


@shared_task(name="dictamesh.saga.sweep")
def sweep() -> int:
    from .engine import sweep as run

    return run()
