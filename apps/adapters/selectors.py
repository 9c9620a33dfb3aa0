"""Reads of adapters: instances and their runs, as the API shows them."""

from __future__ import annotations

from dictamesh.adapters import registry as adapter_registry
from dictamesh.errors import NotFound

from .models import AdapterInstance, SyncRun


def iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def instance_dict(row: AdapterInstance) -> dict:
    return {
        "name": row.name, "kind": row.kind, "config": row.config, "enabled": row.enabled, "domain": row.domain,
        "owners": row.owners, "sync_interval_seconds": row.sync_interval_seconds, "checkpoint": row.checkpoint,
        "last_sync_at": iso(row.last_sync_at), "last_success_at": iso(row.last_success_at),
        "created_by": row.created_by or None, "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
    }  # fmt: skip


def run_dict(run: SyncRun) -> dict:
    return {
        "id": run.pk, "instance": run.instance.name, "full": run.full, "status": run.status, "trigger": run.trigger,
        "requested_by": run.requested_by or None, "counts": run.counts, "total": run.total,
        "error": run.error or None, "retryable": run.retryable, "cancel_requested": run.cancel_requested,
        "checkpoint_from": run.checkpoint_from, "checkpoint_to": run.checkpoint_to,
        "queued_at": iso(run.queued_at), "started_at": iso(run.started_at), "ended_at": iso(run.ended_at),
        "duration_ms": run.duration_ms,
    }  # fmt: skip


def instances() -> list[AdapterInstance]:
    return list(AdapterInstance.objects.order_by("name"))


def instance(name: str) -> AdapterInstance:
    row = AdapterInstance.objects.filter(name=name).first()
    if row is None:
        raise NotFound(f"No adapter instance {name!r}.")
    return row


def runs(name: str, *, limit: int = 50, offset: int = 0) -> tuple[list[SyncRun], int]:
    query = (
        SyncRun.objects.filter(instance__name=name).select_related("instance").order_by("-queued_at", "-id")
    )
    return list(query[offset : offset + limit]), query.count()


def run(run_id: int) -> SyncRun:
    found = SyncRun.objects.filter(pk=run_id).select_related("instance").first()
    if found is None:
        raise NotFound(f"No sync run {run_id}.")
    return found


def kinds() -> list[dict]:
    """Every adapter kind: its title, capabilities and the JSON Schema of its configuration."""
    return [
        {
            "kind": kind,
            "title": cls.title or kind,
            "capabilities": cls.capabilities(),
            "config_schema": cls.Config.model_json_schema(by_alias=True),
        }  # fmt: skip
        for kind, cls in sorted(adapter_registry.available().items())
    ]


def sync_runs_failed_recently(*, days: int) -> int:
    from datetime import timedelta

    from django.utils import timezone

    from .models import RunStatus

    since = timezone.now() - timedelta(days=days)
    return SyncRun.objects.filter(status=RunStatus.FAILED, queued_at__gte=since).count()
