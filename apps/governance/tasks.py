"""Governance housekeeping (Celery beat)."""

from __future__ import annotations

from celery import shared_task

from . import classification


@shared_task(name="dictamesh.governance.propagate")
def propagate() -> int:
    """Carry confirmed classifications along column lineage that arrived since they were confirmed."""
    return classification.propagate_all()


@shared_task(name="dictamesh.governance.retention")
def retention() -> int:
    """Run every enabled retention policy (dry runs report, enforced ones apply): how many changed."""
    from . import retention as retention_module

    return sum(r.applied for r in retention_module.run_all())
