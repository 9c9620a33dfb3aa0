"""Governance housekeeping (Celery beat)."""

from __future__ import annotations

from celery import shared_task

from . import classification


@shared_task(name="dictamesh.governance.propagate")
def propagate() -> int:
    """Carry confirmed classifications along column lineage that arrived since they were confirmed."""
    return classification.propagate_all()
