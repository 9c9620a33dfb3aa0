"""Data-subject requests' beat task: reminders before deadlines, and at their breach."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="dictamesh.privacy.deadlines")
def deadlines() -> int:
    from .services import deadlines_check

    return deadlines_check()
