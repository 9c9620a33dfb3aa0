"""Writes of the catalog: entities (one or in bulk), deprecation, deletion (domains and sources: domains.py).

Every entity change, in the same transaction: the row and an event on ``dictamesh.catalog.entity.v1`` with
the full state after it (outbox and event log; the event log is the entity's history) — and after commit,
the cache entries dropped in every process and the embedding refresh enqueued. Relationships and
documents: ``relationships.py``, ``documents.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dictamesh.db import in_parallel, insert_rows, update_rows
from dictamesh.errors import Conflict, DictaMeshError, NotFound, ValidationError
from dictamesh.events import publish_many
from dictamesh.events.context import current_actor
from dictamesh.events.outbox import Change

from . import events
from .caching import drop_entity_refs, drop_schema_owners, invalidate_entities
from .contracts import EntityChanges, EntityIn
from .domains import domain_create, source_create  # noqa: F401 - the catalog's writes, by topic
from .inputs import entity_input, identify
from .models import Domain, Entity, EntityOwner, SourceSystem
from .rows import CREATE_COLUMNS, UPDATE_COLUMNS, new_row, remember_name_words, row
from .state import changed_fields, entity_state, json_state, row_state

logger = logging.getLogger("dictamesh.catalog")
BATCH = 1000
Mode = Literal["upsert", "create", "update"]
Check = Callable[[dict | None, dict], DictaMeshError | None]


# -- entities ---------------------------------------------------------------------------------------------
@dataclass
class ItemResult:
    index: int
    urn: str | None
    status: str  # created | updated | restored | unchanged | error
    version: int | None = None
    error: DictaMeshError | None = None
    id: int | None = None
    entity: Entity | None = field(default=None, repr=False)  # updates only: a created one is loaded on demand

    def as_dict(self) -> dict:
        body: dict[str, Any] = {"index": self.index, "urn": self.urn, "status": self.status}
        if self.version is not None:
            body["version"] = self.version
        if self.error is not None:
            body["error"] = self.error.as_dict()
        return body


@dataclass
class _Plan:
    index: int
    urn: str
    source: str
    entity_type: str
    source_key: str
    changes: dict


OWNER_EDITS = ("owners_add", "owners_remove")


def _owners_edited(changes: dict, current: list[dict]) -> None:
    """``owners_add`` and ``owners_remove`` (each owner added or removed by name, the others kept) folded
    into ``changes["owners"]``: a write names the owners it changes instead of replacing the list."""
    if not any(key in changes for key in OWNER_EDITS):
        return
    base = changes.get("owners", current)
    removed = {o["principal"] for o in changes.pop("owners_remove", [])}  # a principal, in whatever role
    kept = {(o["principal"], o["role"]) for o in base if o["principal"] not in removed}
    kept |= {(o["principal"], o["role"]) for o in changes.pop("owners_add", [])}
    changes["owners"] = [{"principal": p, "role": r} for p, r in sorted(kept)]


def _apply_fields(entity: Entity, changes: dict, domains: dict[str, Domain]) -> list[dict] | None:
    """Set the cleaned ``changes`` on ``entity``; return the owners when they are part of the change."""
    for key, value in changes.items():
        if key == "domain":
            entity.domain = domains[value]
        elif key != "owners":
            setattr(entity, key, value)
    return changes.get("owners")


def owners_of(entity: Entity) -> list[dict]:
    return sorted(
        ({"principal": o.principal, "role": o.role} for o in entity.owners.all()),
        key=lambda o: (o["principal"], o["role"]),
    )


def entities_upsert(
    *,
    items: list[dict | EntityIn],
    mode: Mode = "upsert",
    actor: str | None = None,
    synced: bool = False,
    check: Check | None = None,
) -> list[ItemResult]:
    """Create or update entities by URN, in batches of 1,000, each batch in its own transaction.

    Per-item results: valid items are stored, invalid ones reported (nothing of them written). An item equal
    to what is stored is ``unchanged`` (no version, no event). ``synced`` stamps ``last_synced_at`` (adapters).
    ``check(before, after)`` (the caller's permission; before is None for a new entity) may refuse an item:
    it returns the item's error, or None.
    Outside a transaction, batches run on ``DICTAMESH_CATALOG_BULK_WORKERS`` connections at once.
    """
    actor = actor or current_actor() or ""
    results: dict[int, ItemResult] = {}
    plans = _plan_items(items, results)  # the same URN twice is an error, in any batch
    batches = [plans[start : start + BATCH] for start in range(0, len(plans), BATCH)]
    for done in in_parallel(
        lambda batch: _upsert_batch(batch, mode=mode, actor=actor, synced=synced, check=check),
        batches,
        workers=settings.DICTAMESH_CATALOG_BULK_WORKERS,
    ):
        results.update((result.index, result) for result in done)
    return [results[i] for i in sorted(results)]


def _plan_items(items: list[dict], results: dict[int, ItemResult]) -> list[_Plan]:
    """The valid items, cleaned; the invalid ones go to ``results`` as errors."""
    plans, seen = [], set()
    for i, raw in enumerate(items):
        try:
            item = raw if isinstance(raw, EntityIn) else entity_input(raw)
            urn, source, entity_type, source_key = identify(item)
            changes = item.changes()
        except DictaMeshError as exc:
            given = raw.get("urn") if isinstance(raw, dict) else None
            results[i] = ItemResult(i, given if isinstance(given, str) else None, "error", error=exc)
            continue
        if urn in seen:
            results[i] = ItemResult(
                i,
                urn,
                "error",
                error=ValidationError("The URN appears twice in this request.", fields={"urn": "duplicate"}),
            )
            continue
        seen.add(urn)
        plans.append(_Plan(i, urn, source, entity_type, source_key, changes))
    return plans


def _existing(urns: list[str]) -> dict[str, Entity]:
    """The stored entities among ``urns``, locked for update. A cheap probe first: new URNs load nothing."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT urn FROM dictamesh_catalog_entity WHERE urn = ANY(%s)", [urns])
        found = sorted(row[0] for row in cursor.fetchall())
    if not found:
        return {}
    return {
        e.urn: e
        for e in Entity.objects.select_for_update(of=("self",))
        .select_related("domain", "source")
        .prefetch_related("owners")
        .filter(urn__in=found)
        .order_by("urn")
    }


@transaction.atomic
def _upsert_batch(
    plans: list[_Plan], *, mode: Mode, actor: str, synced: bool, check: Check | None = None
) -> list[ItemResult]:
    now = timezone.now()
    results: dict[int, ItemResult] = {}
    domains = {
        d.name: d
        for d in Domain.objects.filter(name__in={p.changes["domain"] for p in plans if "domain" in p.changes})
    }
    sources = {s.name: s for s in SourceSystem.objects.filter(name__in={p.source for p in plans})}
    existing = _existing(sorted(p.urn for p in plans))
    creates: list[tuple[_Plan, dict, list[dict]]] = []  # new rows: no model instances (a bulk holds many)
    updates: list[tuple[_Plan, Entity, dict, list[dict] | None, str]] = []
    touched_unchanged: list[int] = []
    for plan in plans:
        problems = {}
        if "domain" in plan.changes and plan.changes["domain"] not in domains:
            problems["domain"] = f"no domain {plan.changes['domain']!r}"
        if plan.source not in sources:
            problems["source"] = f"no source system {plan.source!r}"
        current = existing.get(plan.urn)
        _owners_edited(plan.changes, owners_of(current) if current is not None else [])
        if current is None:
            if mode == "update":
                results[plan.index] = ItemResult(
                    plan.index, plan.urn, "error", error=NotFound(f"No entity {plan.urn}.")
                )
                continue
            for required in ("name", "domain"):
                if required not in plan.changes:
                    problems.setdefault(required, "required")
        elif mode == "create" and current.deleted_at is None:
            results[plan.index] = ItemResult(
                plan.index,
                plan.urn,
                "error",
                error=Conflict(f"Entity {plan.urn} already exists.", fields={"urn": "exists"}),
            )
            continue
        if problems:
            results[plan.index] = ItemResult(
                plan.index,
                plan.urn,
                "error",
                error=ValidationError("The entity has invalid fields.", fields=problems),
            )
            continue
        if synced:
            plan.changes.setdefault("last_synced_at", now)
        if current is None:
            new = new_row(
                changes=plan.changes,
                urn=plan.urn,
                entity_type=plan.entity_type,
                source_id=sources[plan.source].pk,
                source_key=plan.source_key,
                domain_id=domains[plan.changes["domain"]].pk,
                now=now,
            )
            if check is not None:
                state = row_state(
                    {**new, "id": None},
                    domain=plan.changes["domain"],
                    source=plan.source,
                    owners=plan.changes.get("owners") or [],
                )
                if (refused := check(None, state)) is not None:
                    results[plan.index] = ItemResult(plan.index, plan.urn, "error", error=refused)
                    continue
            creates.append((plan, new, plan.changes.get("owners") or []))
            continue
        before = entity_state(current)
        restoring = current.deleted_at is not None
        owners = _apply_fields(current, plan.changes, domains)
        if restoring:
            current.deleted_at = None
        after = entity_state(current, owners=owners if owners is not None else before["owners"])
        if check is not None and (refused := check(before, after)) is not None:
            results[plan.index] = ItemResult(plan.index, plan.urn, "error", error=refused)
            continue
        if not changed_fields(before, after):
            results[plan.index] = ItemResult(
                plan.index, plan.urn, "unchanged", current.version, id=current.pk, entity=current
            )
            if synced:
                touched_unchanged.append(current.pk)
            continue
        current.version += 1
        current.updated_at = now
        updates.append((plan, current, before, owners, "restored" if restoring else "updated"))

    if creates:
        ids = dict(
            insert_rows(
                Entity._meta.db_table,
                CREATE_COLUMNS,
                [new for _, new, _ in creates],
                returning="urn, id",
            )
        )
        for _, new, _ in creates:
            new["id"] = ids[new["urn"]]
    if updates:
        update_rows(
            Entity._meta.db_table, "id", UPDATE_COLUMNS,
            [{**row(entity), "id": entity.pk} for _, entity, _, _, _ in updates],
        )  # fmt: skip
    if touched_unchanged:
        Entity.objects.filter(pk__in=touched_unchanged).update(last_synced_at=now)
    replaced = [entity.pk for _, entity, _, owners, _ in updates if owners is not None]
    if replaced:
        EntityOwner.objects.filter(entity_id__in=replaced).delete()
    owned = [(new["id"], owners) for _, new, owners in creates] + [
        (entity.pk, owners) for _, entity, _, owners, _ in updates if owners is not None
    ]
    insert_rows(
        EntityOwner._meta.db_table,
        {"entity_id": "bigint", "principal": "text", "role": "text"},
        [
            {"entity_id": pk, "principal": o["principal"], "role": o["role"]}
            for pk, owners in owned
            for o in owners
        ],
    )

    named = [new["id"] for _, new, _ in creates] + [
        entity.pk for _, entity, before, _, _ in updates if entity.name != before["name"]
        or entity.display_name != before["display_name"]
    ]  # fmt: skip
    remember_name_words(ids=named)

    changes = []
    source_names = {s.pk: name for name, s in sources.items()}
    domain_names = {d.pk: name for name, d in domains.items()}
    for plan, new, owners in creates:
        state = row_state(
            new, domain=domain_names[new["domain_id"]], source=source_names[new["source_id"]], owners=owners
        )
        after = json_state(state)
        changes.append(_event(events.ENTITY_REGISTERED, new["urn"], 1, "registered", None, after, [], actor))
        results[plan.index] = ItemResult(plan.index, new["urn"], "created", 1, id=new["id"])
    for plan, entity, state_before, owners, change in updates:
        after = json_state(
            entity_state(entity, owners=owners if owners is not None else state_before["owners"])
        )
        before = json_state(state_before)
        fields_changed = changed_fields(before, after)
        changes.append(
            _event(
                events.ENTITY_RESTORED if change == "restored" else events.ENTITY_UPDATED,
                entity.urn,
                entity.version,
                change,
                before,
                after,
                fields_changed,
                actor,
            )
        )
        results[plan.index] = ItemResult(
            plan.index, entity.urn, change, entity.version, id=entity.pk, entity=entity
        )
    publish_many(changes)
    drop_schema_owners(  # the subjects these entities are (or were) the data contract of
        [new["schema_subject"] for _, new, _ in creates]
        + [s for _, entity, before, _, _ in updates for s in (before["schema_subject"], entity.schema_subject)]
    )  # fmt: skip
    drop_entity_refs([new["urn"] for _, new, _ in creates] + [entity.urn for _, entity, *_ in updates])
    # a new URN has nothing cached (misses are not cached, uncommitted rows unseen): only updates invalidate
    _after_commit([entity.urn for _, entity, *_ in updates],
                  [new["id"] for _, new, _ in creates] + [entity.pk for _, entity, *_ in updates])  # fmt: skip
    return [results[i] for i in sorted(results)]


def _event(
    type_: str, urn: str, version: int, change: str, before, after, fields_changed: list[str], actor: str
) -> Change:
    data = {
        "urn": urn,
        "version": version,
        "change": change,
        "changed_fields": fields_changed,
        "entity": after,
    }
    return Change(
        type=type_,
        subject=urn,
        data=data,
        before=before,
        after=after,
        actor=actor or None,  # the one the version names; else the request's
        json_ready=True,
        embed_after="entity",
    )


def _after_commit(urns: list[str], ids: list[int]) -> None:
    """After commit: drop ``urns`` from the caches, enqueue the embedding of ``ids``."""
    if not urns and not ids:
        return

    def run() -> None:
        try:
            if urns:
                invalidate_entities(urns)
        except Exception:  # Redis down: L2 entries expire by TTL; the cache consumer retries from the event
            logger.warning("catalog cache invalidation failed for %d entities", len(urns), exc_info=True)
        try:
            from .tasks import embed_entities

            for start in range(0, len(ids), 500):
                embed_entities.delay(ids[start : start + 500])
        except Exception:  # broker down: `manage.py reindex_embeddings` catches up on stale embeddings
            logger.warning("could not enqueue embeddings for %d entities", len(ids), exc_info=True)

    transaction.on_commit(run)


def _single(result: ItemResult) -> Entity:
    if result.error is not None:
        raise result.error
    if result.entity is None:
        return Entity.objects.select_related("domain", "source").get(pk=result.id)
    return result.entity


def entity_register(
    *, entity: EntityIn, actor: str | None = None, check: Check | None = None
) -> tuple[Entity, str]:
    """Register one entity (409 if its URN is taken; a deleted one is restored). Returns (entity, status)."""
    result = entities_upsert(items=[entity], mode="create", actor=actor, check=check)[0]
    return _single(result), result.status


def entity_update(
    *, urn: str, changes: EntityChanges, actor: str | None = None, check: Check | None = None
) -> tuple[Entity, str]:
    """Change the fields ``changes`` sets. A change that names the identity (parsed as an ``EntityIn``) is
    refused: the URN of an entity never changes."""
    forbidden = {
        k: "cannot change: it is part of the URN"
        for k in ("urn", "source", "type", "entity_type", "source_key")
        if k in changes.model_fields_set
    }
    if forbidden:
        raise ValidationError("The URN of an entity never changes.", fields=forbidden)
    current = Entity.objects.filter(urn=urn).only("deleted_at").first()
    if current is None or current.deleted_at is not None:
        raise NotFound(f"No entity {urn}.")
    sent = {k: getattr(changes, k) for k in changes.model_fields_set}
    item = EntityIn.model_construct(_fields_set={*changes.model_fields_set, "urn"}, **sent, urn=urn)
    result = entities_upsert(items=[item], mode="update", actor=actor, check=check)[0]
    return _single(result), result.status


@transaction.atomic
def _state_change(*, urn: str, change: str, mutate, actor: str | None) -> Entity:
    entity = (
        Entity.objects.select_for_update(of=("self",))
        .select_related("domain", "source")
        .prefetch_related("owners")
        .filter(urn=urn, deleted_at__isnull=True)
        .first()
    )
    if entity is None:
        raise NotFound(f"No entity {urn}.")
    before = json_state(entity_state(entity))
    mutate(entity)
    after = json_state(entity_state(entity))
    fields_changed = changed_fields(before, after)
    if not fields_changed:
        return entity
    now = timezone.now()
    entity.version += 1
    entity.updated_at = now
    entity.save()
    after = json_state(entity_state(entity))
    actor = actor or current_actor() or ""
    type_ = {"deprecated": events.ENTITY_DEPRECATED, "deleted": events.ENTITY_DELETED}.get(
        change, events.ENTITY_UPDATED
    )
    publish_many([_event(type_, entity.urn, entity.version, change, before, after, fields_changed, actor)])
    drop_schema_owners([entity.schema_subject])
    drop_entity_refs([entity.urn])
    _after_commit([entity.urn], [] if change == "deleted" else [entity.pk])
    return entity


def entity_deprecate(
    *, urn: str, note: str = "", deprecated: bool = True, actor: str | None = None
) -> Entity:
    if len(note or "") > 2000:
        raise ValidationError("The deprecation note is too long.", fields={"note": "at most 2000 characters"})

    def mutate(entity: Entity) -> None:
        if deprecated:
            entity.deprecated_at = entity.deprecated_at or timezone.now()
            entity.deprecation_note = note or entity.deprecation_note
        else:
            entity.deprecated_at = None
            entity.deprecation_note = ""

    return _state_change(
        urn=urn, change="deprecated" if deprecated else "undeprecated", mutate=mutate, actor=actor
    )


def entity_delete(*, urn: str, actor: str | None = None) -> Entity:
    """Soft delete: hidden from reads and search, history kept; registering the URN again restores it."""

    def mutate(entity: Entity) -> None:
        entity.deleted_at = timezone.now()

    return _state_change(urn=urn, change="deleted", mutate=mutate, actor=actor)
