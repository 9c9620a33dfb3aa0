"""Housekeeping of the event backbone (Celery beat)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import OutboxMessage, ProcessedEvent


@shared_task(name="dictamesh.events.prune")
def prune_events() -> dict[str, int]:
    """Delete sent outbox rows and old processed-event markers; the event log is kept (append-only)."""
    now = timezone.now()
    sent_before = now - timedelta(hours=settings.DICTAMESH_OUTBOX_RETENTION_HOURS)
    processed_before = now - timedelta(days=settings.DICTAMESH_PROCESSED_RETENTION_DAYS)
    outbox, _ = OutboxMessage.objects.filter(sent_at__lt=sent_before).delete()
    processed, _ = ProcessedEvent.objects.filter(processed_at__lt=processed_before).delete()
    return {"outbox": outbox, "processed": processed}
