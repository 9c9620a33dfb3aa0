"""Writes of adapters: instances (validated configuration), sync runs (queued, run, cancelled), and what a
run writes into the catalog and the schema registry.

A run claims its row (queued → running) so a task delivered twice runs once; one queued or running run per
instance (a partial unique index). Each batch an adapter yields is written through the catalog (an unchanged
entity makes no version and no event), then the run's counts and checkpoint are saved: a run that stops
halfway resumes, next time, after its last stored batch. A full run removes the entities of its types that
the source no longer has. Every outcome is an event; a failed run's carries the instance's owners, whom the
notifications' default subscription tells.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.catalog import public as catalog
from dictamesh.adapters import AdapterError, Change
from dictamesh.adapters import registry as adapter_registry
from dictamesh.errors import Conflict, DictaMeshError, NotFound, ValidationError
from dictamesh.events import publish_many
from dictamesh.events.context import current_actor
from dictamesh.events.outbox import Change as Event
from dictamesh.tasks import registered

from . import events, metrics
from .contracts import InstanceIn
from .models import AdapterInstance, RunStatus, SyncRun

logger = logging.getLogger("dictamesh.adapters")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,99}$")
_PRINCIPAL = re.compile(r"^(user|group):[^\s:][^\s]*$")
EDITABLE = ("kind", "config", "enabled", "domain", "owners", "sync_interval_seconds")


# -- instances -----------------------------------------------------------------------------------------------


def _validated(fields: dict[str, Any], current: AdapterInstance | None) -> dict[str, Any]:
    """The instance as it would be with ``fields`` (sent, each valid on its own: ``InstanceIn``): what needs
    the whole of it (a name and a domain to create one; the kind and its configuration) checked here."""
    defaults = {
        "kind": "",
        "config": {},
        "enabled": True,
        "domain": "",
        "owners": [],
        "sync_interval_seconds": None,
    }
    merged = {k: getattr(current, k) for k in EDITABLE} if current else defaults
    merged.update({k: v for k, v in fields.items() if k != "name"})
    problems: dict[str, str] = {}
    if current is None and not fields.get("name"):
        problems["name"] = "required: 2-100 lowercase letters, digits, - or _, starting with a letter"
    if not merged.get("domain"):
        problems["domain"] = "required: the catalog domain of its entities"
    try:
        adapter_registry.get(merged.get("kind") or "")
    except AdapterError as exc:
        problems["kind"] = exc.message
    if problems:
        raise ValidationError("The adapter instance is invalid.", fields=problems)
    try:
        adapter_registry.validate(merged["kind"], merged.get("config", {}))
    except adapter_registry.InvalidConfig as exc:
        raise ValidationError(
            exc.message, fields={f"config.{k}": v for k, v in exc.problems.items()}
        ) from exc
    return merged


def _state(row: AdapterInstance) -> dict:
    return {
        "name": row.name, "kind": row.kind, "config": row.config, "enabled": row.enabled, "domain": row.domain,
        "owners": row.owners, "sync_interval_seconds": row.sync_interval_seconds,
    }  # fmt: skip


def instance_create(*, instance: InstanceIn, actor: str | None = None) -> AdapterInstance:
    fields = instance.sent()
    merged = _validated(fields, None)
    actor = actor or current_actor() or ""
    with transaction.atomic():
        if AdapterInstance.objects.filter(name=fields["name"]).exists():
            raise Conflict(f"An adapter instance named {fields['name']!r} exists.")
        catalog.ensure_home(source=fields["name"], source_kind=merged["kind"], domain=merged["domain"])
        row = AdapterInstance.objects.create(name=fields["name"], created_by=actor, **merged)
        publish_many([_instance_event(events.INSTANCE_CREATED, row, None, _state(row), actor)])
        _schema_changed()
    return row


def instance_update(*, name: str, changes: InstanceIn, actor: str | None = None) -> AdapterInstance:
    fields = changes.sent()
    actor = actor or current_actor() or ""
    with transaction.atomic():
        row = AdapterInstance.objects.select_for_update().filter(name=name).first()
        if row is None:
            raise NotFound(f"No adapter instance {name!r}.")
        if "name" in fields and fields["name"] != name:
            raise ValidationError(
                "An instance keeps its name (its entities' source system).", fields={"name": "fixed"}
            )
        fields = {k: v for k, v in fields.items() if k != "name"}
        before = _state(row)
        merged = _validated(fields, row)
        if merged["kind"] != row.kind or merged["config"] != row.config:
            merged["checkpoint"] = None  # another source or another configuration: the next sync is full
        if merged["domain"] != row.domain:
            catalog.ensure_home(source=row.name, source_kind=merged["kind"], domain=merged["domain"])
        for key, value in merged.items():
            setattr(row, key, value)
        row.updated_at = timezone.now()
        row.save()
        if _state(row) != before:
            publish_many([_instance_event(events.INSTANCE_UPDATED, row, before, _state(row), actor)])
            _schema_changed()
    return row


def instance_delete(*, name: str, actor: str | None = None) -> None:
    """Remove an instance and its runs (its entities stay in the catalog, as the source left them)."""
    actor = actor or current_actor() or ""
    with transaction.atomic():
        row = AdapterInstance.objects.select_for_update().filter(name=name).first()
        if row is None:
            raise NotFound(f"No adapter instance {name!r}.")
        before = _state(row)
        row.delete()
        publish_many([_instance_event(events.INSTANCE_DELETED, row, before, None, actor)])
        _schema_changed()


def _schema_changed() -> None:
    from .typed import bump_generation

    bump_generation()  # typed live records: every process makes its GraphQL schema again


def _instance_event(type_: str, row: AdapterInstance, before, after, actor: str) -> Event:
    return Event(type=type_, subject=f"adapter:{row.name}", key=row.name, data={"name": row.name, "kind": row.kind},
                 before=before, after=after, actor=actor or None, json_ready=True)  # fmt: skip


def connection_test(*, name: str) -> dict:
    """Start the adapter and ask its health: {ok, detail, latency_ms} (a bad configuration is not ok)."""
    row = _instance(name)
    try:
        with adapter_registry.create(row.kind, row.config, instance=row.name) as adapter:
            health = adapter.health()
    except AdapterError as exc:
        return {"ok": False, "detail": exc.message, "latency_ms": None}
    return {"ok": health.ok, "detail": health.detail, "latency_ms": health.latency_ms}


class SourceUnavailable(DictaMeshError):
    code = "source_unavailable"
    status = 502


def discover(*, name: str) -> list[dict]:
    """The source's entity types (``adapter.discover()``): names, schemas, keys, relationships."""
    row = _instance(name)
    try:
        with adapter_registry.create(row.kind, row.config, instance=row.name) as adapter:
            return [t.as_dict() for t in adapter.discover()]
    except AdapterError as exc:
        raise SourceUnavailable(f"{name}: {exc.message}") from exc


def _instance(name: str) -> AdapterInstance:
    row = AdapterInstance.objects.filter(name=name).first()
    if row is None:
        raise NotFound(f"No adapter instance {name!r}.")
    return row


# -- runs ----------------------------------------------------------------------------------------------------


def sync_request(
    *, name: str, full: bool = False, trigger: str = "manual", actor: str | None = None, enqueue: bool = True
) -> SyncRun:
    """Queue a sync (its task starts when this commits; ``enqueue=False``: the caller runs it, the CLI does).
    409 while another is queued or running."""
    row = _instance(name)
    if not row.enabled:
        raise Conflict(f"The adapter instance {name!r} is disabled.")
    actor = actor or current_actor() or ""
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(instance=row, full=full, trigger=trigger, requested_by=actor,
                                         checkpoint_from=None if full else row.checkpoint)  # fmt: skip
    except IntegrityError:
        active = SyncRun.objects.filter(instance=row, status__in=["queued", "running"]).first()
        which = f"{active.status} (run {active.pk})" if active else "queued"
        raise Conflict(f"A sync of {name!r} is already {which}.") from None
    if enqueue:
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    try:
        registered("dictamesh.adapters.sync_run").apply_async(args=[run_id])
    except Exception:  # the broker is down: the scheduled sweep starts queued runs
        logger.warning("could not queue sync run %s; the sweep will", run_id, exc_info=True)


def sync_cancel(*, run_id: int, actor: str | None = None) -> SyncRun:
    """Ask a run to stop: a queued one is cancelled at once, a running one after its current batch."""
    with transaction.atomic():
        run = SyncRun.objects.select_for_update().filter(pk=run_id).select_related("instance").first()
        if run is None:
            raise NotFound(f"No sync run {run_id}.")
        if run.status == RunStatus.QUEUED:
            run.status, run.ended_at = RunStatus.CANCELLED, timezone.now()
            run.save(update_fields=["status", "ended_at"])
            publish_many([_run_event(events.SYNC_CANCELLED, run)])
        elif run.status == RunStatus.RUNNING:
            run.cancel_requested = True
            run.save(update_fields=["cancel_requested"])
        else:
            raise Conflict(f"Sync run {run_id} has already {run.status}.")
    return run


def _claim(run_id: int) -> SyncRun | None:
    with transaction.atomic():
        claimed = SyncRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=timezone.now()
        )
    return SyncRun.objects.select_related("instance").get(pk=run_id) if claimed else None


def _item(row: AdapterInstance, change: Change) -> dict:
    item = {
        "source": row.name, "type": change.type, "source_key": change.key, "name": change.name or change.key,
        "domain": row.domain, "description": change.description, "properties": change.properties,
        "tags": sorted(set(change.tags)),
        "owners": [{"principal": p, "role": "technical"} for p in dict.fromkeys((*change.owners, *row.owners))],
    }  # fmt: skip
    return item


def _urn(row: AdapterInstance, entity_type: str, key: str) -> str:
    return catalog.build_urn(source=row.name, entity_type=entity_type, source_key=key)


def sync_execute(*, run_id: int, progress: Callable[[SyncRun], None] | None = None) -> SyncRun | None:
    """Run a queued sync (None when another process took it). ``progress(run)`` after each batch."""
    run = _claim(run_id)
    if run is None:
        return None
    row = run.instance
    counts = {"seen": 0, "created": 0, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 0,
              "relationships": 0, "schemas": 0}  # fmt: skip
    run.counts = counts
    seen: dict[str, set[str]] = {}
    samples: list[str] = []
    actor = f"adapter:{row.name}"
    try:
        with adapter_registry.create(
            row.kind, row.config, instance=row.name, metrics=metrics.hooks(row)
        ) as adapter:
            types = [t.name for t in adapter.discover()]  # a full run removes what these types no longer have
            for batch in adapter.sync(checkpoint=None if run.full else run.checkpoint_from, full=run.full):
                if SyncRun.objects.filter(pk=run.pk, cancel_requested=True).exists():
                    return _finish(run, row, RunStatus.CANCELLED, samples=samples)
                _store_batch(row, batch.changes, counts, seen, samples, actor)
                run.total = batch.total if batch.total is not None else run.total
                run.checkpoint_to = batch.checkpoint
                with transaction.atomic():
                    run.save(update_fields=["counts", "total", "checkpoint_to"])
                    AdapterInstance.objects.filter(pk=row.pk).update(checkpoint=batch.checkpoint)
                if progress is not None:
                    progress(run)
            if run.full:
                counts["deleted"] += _remove_missing(row, types, seen, actor)
    except AdapterError as exc:
        run.error, run.retryable = exc.message[:5000], exc.retryable
        return _finish(run, row, RunStatus.FAILED, samples=samples)
    except Exception as exc:  # a bug or an outage of ours: recorded, the worker goes on
        logger.exception("sync run %s of %s failed", run.pk, row.name)
        run.error, run.retryable = f"{type(exc).__name__}: {exc}"[:5000], True
        return _finish(run, row, RunStatus.FAILED, samples=samples)
    return _finish(run, row, RunStatus.SUCCEEDED, samples=samples)


def _store_batch(row, changes: list[Change], counts, seen, samples, actor) -> None:
    live = [c for c in changes if not c.deleted]
    gone = [c for c in changes if c.deleted]
    counts["seen"] += len(changes)
    for change in live:
        seen.setdefault(change.type, set()).add(change.key)
    if live:
        results = catalog.entities_upsert(items=[_item(row, c) for c in live], actor=actor, synced=True)
        for change, result in zip(live, results, strict=True):
            status = result["status"]
            if status == "error":
                counts["failed"] += 1
                if len(samples) < 20:
                    samples.append(
                        f"{change.type} {change.key}: {result.get('error', {}).get('message', 'invalid')}"
                    )
            elif status in ("created", "restored"):
                counts["created"] += 1
            else:
                counts[status] = counts.get(status, 0) + 1
    for change in gone:
        counts["deleted"] += catalog.entities_remove(urns=[_urn(row, change.type, change.key)], actor=actor)
    relationships = [
        {
            "source": _urn(row, r.source_type, r.source_key),
            "target": r.target_urn or _urn(row, r.target_type, r.target_key),
            "predicate": r.type,
            "metadata": r.properties,
        }  # fmt: skip
        for c in live
        for r in c.relationships
    ]
    if relationships:
        counts["relationships"] += catalog.relationships_add(items=relationships).get("created", 0)
    for change in live:
        if change.schemas:
            counts["schemas"] += _register_schemas(row, change, actor)
        elif change.contract:
            counts["contracts"] = counts.get("contracts", 0) + _link_contract(row, change, actor)


def _register_schemas(row: AdapterInstance, change: Change, actor: str) -> int:
    """Register the entity's generated schemas (one subject per format) and make the first its data contract."""
    from apps.schemas import public as schemas

    registered = 0
    subject = ""
    for schema_type, text in change.schemas.items():
        name = f"{row.name}.{change.type}.{change.key}" + (
            "" if schema_type == "AVRO" else f".{schema_type.lower()}"
        )
        try:
            if schemas.register_schema(subject=name, schema_type=schema_type, schema=text, actor=actor):
                registered += 1
        except Exception as exc:  # noqa: BLE001 - an incompatible change is reported, the sync goes on
            logger.warning("%s: schema %s not registered: %s", row.name, name, exc)
            continue
        subject = subject or name
    if subject:
        urn = _urn(row, change.type, change.key)
        current = catalog.entity_ref(urn=urn)
        if current is not None and catalog.entity_schema_subject(urn=urn) != subject:
            catalog.entity_link_schema(urn=urn, subject=subject, actor=actor)
    return registered


def _link_contract(row: AdapterInstance, change: Change, actor: str) -> int:
    """Make an existing registry subject the entity's data contract (a topic's ``<topic>-value``): 1 if linked."""
    from apps.schemas import public as schemas

    urn = _urn(row, change.type, change.key)
    if schemas.subject_summary(subject=change.contract) is None:
        return 0
    if catalog.entity_schema_subject(urn=urn) in (None, change.contract):
        return 0
    catalog.entity_link_schema(urn=urn, subject=change.contract, actor=actor)
    return 1


def _remove_missing(row: AdapterInstance, types: list[str], seen: dict[str, set[str]], actor: str) -> int:
    """A full sync saw everything the source has: its entities of these types that it did not see are gone."""
    keys = catalog.entity_keys(source=row.name, types=types)
    missing = [_urn(row, t, k) for t, k in keys if k not in seen.get(t, set())]
    return catalog.entities_remove(urns=missing, actor=actor) if missing else 0


def _finish(run: SyncRun, row: AdapterInstance, status: str, *, samples: list[str]) -> SyncRun:
    now = timezone.now()
    run.status, run.ended_at = status, now
    if samples and not run.error:
        run.error = "Some entities were refused:\n" + "\n".join(samples)
    with transaction.atomic():
        run.save(update_fields=["status", "ended_at", "error", "retryable", "counts", "checkpoint_to"])
        update = {"last_sync_at": now}
        if status == RunStatus.SUCCEEDED:
            update["last_success_at"] = now
        AdapterInstance.objects.filter(pk=row.pk).update(**update)
        kind = {RunStatus.SUCCEEDED: events.SYNC_SUCCEEDED, RunStatus.FAILED: events.SYNC_FAILED,
                RunStatus.CANCELLED: events.SYNC_CANCELLED}[status]  # fmt: skip
        publish_many([_run_event(kind, run)])
    metrics.run_finished(row, status, run)
    return run


def _run_event(type_: str, run: SyncRun) -> Event:
    row = run.instance
    data = {
        "instance": row.name, "kind": row.kind, "run": run.pk, "full": run.full, "status": run.status,
        "counts": run.counts, "error": run.error or None, "retryable": run.retryable,
        "owners": list(row.owners), "duration_ms": run.duration_ms,
    }  # fmt: skip
    return Event(type=type_, subject=f"adapter:{row.name}", key=row.name, data=data, json_ready=True)


def sync_due(*, now=None) -> int:
    """Queue the scheduled syncs whose interval has passed (beat, every minute), and start runs left queued."""
    now = now or timezone.now()
    queued = 0
    for row in AdapterInstance.objects.filter(enabled=True, sync_interval_seconds__isnull=False):
        last = row.last_sync_at
        if last is not None and (now - last).total_seconds() < row.sync_interval_seconds:
            continue
        try:
            sync_request(name=row.name, trigger="schedule", actor="schedule")
            queued += 1
        except Conflict:
            continue
    for run_id in SyncRun.objects.filter(
        status=RunStatus.QUEUED, queued_at__lt=now - timezone.timedelta(minutes=2)
    ).values_list("pk", flat=True):
        _enqueue(run_id)
    return queued
