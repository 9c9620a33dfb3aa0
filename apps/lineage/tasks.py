"""Lineage housekeeping (Celery beat)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="dictamesh.lineage.apply_pending")
def apply_pending() -> int:
    """Apply accepted events still queued: each web process applies what it accepts, and reads catch up; this
    catches events whose process stopped before applying them while nothing else comes."""
    return services.apply_pending(wait=True) or 0


@shared_task(name="dictamesh.lineage.freshness")
def freshness() -> dict[str, int]:
    """Tell which datasets became late for their freshness SLA, or on time again (events)."""
    return services.freshness_check()
