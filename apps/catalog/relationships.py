"""Writes of relationships between entities: add (or update), remove — each an event on the relationship topic."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from dictamesh.contracts import parse
from dictamesh.db import jsonable
from dictamesh.errors import NotFound, ValidationError
from dictamesh.events import publish_many
from dictamesh.events.outbox import Change

from . import events
from .contracts import RelationshipIn
from .models import Entity, Provenance, Relationship
from .state import relationship_state


@transaction.atomic
def relationship_add(
    *,
    source: str,
    target: str,
    predicate: str,
    bidirectional: bool = False,
    metadata: dict | None = None,
    confidence: float = 1.0,
    provenance: str = Provenance.MANUAL,
) -> tuple[Relationship, str]:
    """Add a relationship, or update the one with the same (source, target, predicate). Returns (rel, status).
    The arguments are checked by the relationship's contract (``contracts.RelationshipIn``)."""
    checked = parse(RelationshipIn, {
        "source": source, "target": target, "predicate": predicate, "bidirectional": bidirectional,
        "metadata": metadata, "confidence": confidence, "provenance": provenance,
    })  # fmt: skip
    metadata, confidence = checked.metadata or {}, checked.confidence
    found = {e.urn: e for e in Entity.objects.filter(urn__in=[source, target], deleted_at__isnull=True)}
    missing = {
        key: f"no entity {urn}" for key, urn in (("source", source), ("target", target)) if urn not in found
    }
    if missing:
        raise ValidationError("The relationship refers to entities that do not exist.", fields=missing)
    rel = (
        Relationship.objects.select_for_update()
        .filter(source=found[source], target=found[target], predicate=predicate)
        .first()
    )
    now = timezone.now()
    before = None
    if rel is None:
        rel = Relationship(source=found[source], target=found[target], predicate=predicate, created_at=now)
        status, type_ = "created", events.RELATIONSHIP_ADDED
    else:
        before = jsonable(relationship_state(rel, source_urn=source, target_urn=target))
        status, type_ = "updated", events.RELATIONSHIP_UPDATED
    rel.bidirectional = bidirectional
    rel.metadata = metadata
    rel.confidence = float(confidence)
    rel.provenance = provenance
    after = jsonable(relationship_state(rel, source_urn=source, target_urn=target))
    if before is not None:
        comparable = ("bidirectional", "metadata", "confidence", "provenance")
        if all(before[k] == after[k] for k in comparable):
            return rel, "unchanged"
    rel.updated_at = now
    rel.save()
    after = jsonable(relationship_state(rel, source_urn=source, target_urn=target))
    publish_many([_change(type_, rel, source, before, after)])
    return rel, status


def _change(type_: str, rel: Relationship, source: str, before, after) -> Change:
    return Change(
        type=type_,
        subject=f"{source}|{rel.predicate}|{after['target'] if after else before['target']}",
        key=source,
        data=after or before,
        before=before,
        after=after,
        json_ready=True,  # relationship states go through jsonable() before they get here
    )


@transaction.atomic
def relationship_remove(*, source: str, target: str, predicate: str) -> dict:
    rel = (
        Relationship.objects.select_for_update()
        .filter(source__urn=source, target__urn=target, predicate=predicate)
        .first()
    )
    if rel is None:
        raise NotFound(f"No relationship {source} -{predicate}-> {target}.")
    before = jsonable(relationship_state(rel, source_urn=source, target_urn=target))
    rel.delete()
    publish_many([_change(events.RELATIONSHIP_REMOVED, rel, source, before, None)])
    return before


def _valid(values: dict) -> bool:
    try:
        parse(RelationshipIn, values)
    except ValidationError:
        return False
    return True


def relationships_add_many(*, items: list[dict], provenance: str = Provenance.ADAPTER) -> dict[str, int]:
    """Bulk add (adapters, demo data): new ones created with one event each; existing or invalid ones skipped."""
    urns = {i.get("source") for i in items} | {i.get("target") for i in items}
    ids = dict(Entity.objects.filter(urn__in=urns, deleted_at__isnull=True).values_list("urn", "id"))
    urn_of = {v: k for k, v in ids.items()}
    columns: tuple[list, ...] = ([], [], [], [], [], [], [])
    for item in items:
        values = {
            "source": item.get("source"), "target": item.get("target"), "predicate": item.get("predicate"),
            "confidence": item.get("confidence", 1.0), "provenance": item.get("provenance", provenance),
            "metadata": item.get("metadata", {}), "bidirectional": item.get("bidirectional", False),
        }  # fmt: skip
        if values["source"] not in ids or values["target"] not in ids or not _valid(values):
            continue
        row = (
            ids[values["source"]], ids[values["target"]], values["predicate"], values["bidirectional"],
            Jsonb(values["metadata"]), float(values["confidence"]), values["provenance"],
        )  # fmt: skip
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO dictamesh_catalog_relationship (source_id, target_id, predicate, bidirectional,"
                " metadata, confidence, provenance, created_at, updated_at)"
                " SELECT s, t, p, b, m, c, v, now(), now() FROM unnest(%s::bigint[], %s::bigint[], %s::text[],"
                " %s::bool[], %s::jsonb[], %s::float8[], %s::text[]) AS u(s, t, p, b, m, c, v)"
                " ON CONFLICT (source_id, target_id, predicate) DO NOTHING RETURNING id",
                list(columns),
            )
            created_ids = [row[0] for row in cursor.fetchall()]
        changes = []
        for rel in Relationship.objects.filter(pk__in=created_ids):
            state = jsonable(
                relationship_state(rel, source_urn=urn_of[rel.source_id], target_urn=urn_of[rel.target_id])
            )
            changes.append(_change(events.RELATIONSHIP_ADDED, rel, urn_of[rel.source_id], None, state))
        publish_many(changes)
    return {"created": len(created_ids), "skipped": len(items) - len(created_ids)}
