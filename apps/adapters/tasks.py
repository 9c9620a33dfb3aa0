"""Sync runs on Celery: one task per run, and a beat task for schedules and runs left queued."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(
    name="dictamesh.adapters.sync_run", acks_late=True, time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60
)
def sync_run(run_id: int) -> str | None:
    run = services.sync_execute(run_id=run_id)
    return None if run is None else run.status


@shared_task(name="dictamesh.adapters.sync_due")
def sync_due() -> int:
    return services.sync_due()
