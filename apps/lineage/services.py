"""Writes of lineage: manual edges by stewards, dataset ↔ catalog links, impact events; OpenLineage events in
(apps/lineage/ingestion.py, re-exported here)."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from apps.catalog import public as catalog
from dictamesh.errors import Conflict, NotFound, ValidationError
from dictamesh.events import publish_many
from dictamesh.events.context import current_actor
from dictamesh.events.outbox import Change

from . import events
from .freshness import freshness_check, freshness_remove, freshness_set
from .ingestion import (
    Ingested,
    apply_pending,
    catch_up,
    dataset_urn,
    digest_of,
    ingest,
    ingest_many,
    pending_retry,
)
from .models import ColumnEdge, Edge, Node, NodeKind, Provenance
from .selectors import LINKED_ELSEWHERE, LINKS_CACHE

__all__ = [
    "Ingested",
    "apply_pending",
    "catch_up",
    "dataset_urn",
    "digest_of",
    "freshness_check",
    "freshness_remove",
    "freshness_set",
    "ingest",
    "ingest_many",
    "pending_retry",
]


def _edges(pairs: list[tuple[int, int]], *, provenance: str, now: datetime, confidence: float = 1.0,
           note: str = "", actor: str = "") -> int:  # fmt: skip
    pairs = sorted({p for p in pairs if p[0] != p[1]})
    if not pairs:
        return 0
    sources, targets = (list(c) for c in zip(*pairs, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dictamesh_lineage_edge (source_id, target_id, provenance, confidence, note, created_by,"
            " created_at, last_seen_at) SELECT s, t, %s, %s, %s, %s, %s, %s FROM unnest(%s::bigint[], %s::bigint[])"
            " AS u(s, t) ON CONFLICT (source_id, target_id) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at"
            " WHERE dictamesh_lineage_edge.last_seen_at < EXCLUDED.last_seen_at - interval '1 hour'"
            " RETURNING (xmax = 0)",
            [provenance, confidence, note, actor, now, now, sources, targets],
        )
        return sum(1 for (inserted,) in cursor.fetchall() if inserted)


# -- impact ------------------------------------------------------------------------------------------------


def impact_detected(report: dict) -> None:
    """Publish ``dictamesh.lineage.impact.detected`` (topic ``dictamesh.lineage.impact.v1``, keyed by the
    subject) for a schema version that breaks fields used downstream (``impact.breaking_changes``)."""
    with transaction.atomic():
        publish_many(
            [
                Change(
                    type=events.IMPACT_DETECTED,
                    subject=report["subject"],
                    data=report,
                    key=report["subject"],
                    json_ready=True,
                )
            ]  # fmt: skip
        )


# -- manual edits ------------------------------------------------------------------------------------------


def _node_by_id(node_id: str) -> Node:
    from .selectors import node_by_id

    catch_up()  # a node named by an event just accepted
    return node_by_id(node_id)


def edge_add(*, origin: str, destination: str, confidence: float = 1.0, note: str = "",
             actor: str | None = None) -> dict:  # fmt: skip
    """A steward's edge between a dataset and a job (either way round). Existing edges keep their provenance."""
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise ValidationError("confidence is a number from 0 to 1.", fields={"confidence": "0..1"})
    source, target = _node_by_id(origin), _node_by_id(destination)
    if source.kind == target.kind:
        raise ValidationError(
            "An edge joins a dataset and a job (a job reads or writes a dataset).",
            fields={"destination": f"must not be a {target.kind} like the origin"},
        )
    actor = actor or current_actor() or ""
    with transaction.atomic():
        added = _edges([(source.pk, target.pk)], provenance=Provenance.MANUAL, now=timezone.now(),
                       confidence=float(confidence), note=note[:2000], actor=actor)  # fmt: skip
        if not added:
            raise Conflict(f"The edge {origin} → {destination} already exists.")
        publish_many([_edge_change(events.EDGE_ADDED, origin, destination, actor, float(confidence))])
    return {
        "origin": origin,
        "destination": destination,
        "provenance": "manual",
        "confidence": float(confidence),
    }


def edge_remove(*, origin: str, destination: str, actor: str | None = None) -> None:
    source, target = _node_by_id(origin), _node_by_id(destination)
    actor = actor or current_actor() or ""
    with transaction.atomic():
        deleted, _ = Edge.objects.filter(source=source, target=target).delete()
        if not deleted:
            raise NotFound(f"No edge {origin} → {destination}.")
        publish_many([_edge_change(events.EDGE_REMOVED, origin, destination, actor, None)])


def _edge_change(type_: str, origin: str, destination: str, actor: str, confidence: float | None) -> Change:
    return Change(
        type=type_,
        subject=origin,
        data={"origin": origin, "destination": destination, "confidence": confidence},
        actor=actor or None,
        json_ready=True,
    )


def column_edge_add(*, input_field: str, output_field: str, transformation_type: str = "DIRECT",
                    description: str = "", actor: str | None = None) -> dict:  # fmt: skip
    """A steward's column lineage: ``output_field`` ← ``input_field`` (``datasetField:NS:NAME:FIELD`` ids)."""
    from .selectors import field_by_id

    catch_up()
    source, target = field_by_id(input_field, create=True), field_by_id(output_field, create=True)
    if source.pk == target.pk:
        raise ValidationError("A field does not derive from itself.", fields={"output": "same as input"})
    with transaction.atomic():
        edge, created = ColumnEdge.objects.get_or_create(
            input=source,
            output=target,
            defaults={
                "transformation_type": (transformation_type or "")[:50],
                "description": description,
                "provenance": Provenance.MANUAL,
            },
        )
        if not created:
            raise Conflict(f"{output_field} already derives from {input_field}.")
        publish_many(
            [_edge_change(events.EDGE_ADDED, input_field, output_field, actor or current_actor() or "", 1.0)]
        )
    return {"input": input_field, "output": output_field, "provenance": "manual"}


@transaction.atomic
def dataset_link(*, node_id: str, urn: str) -> None:
    """Point a dataset at another catalog entity (an adapter's table the dataset really is): impact analysis
    then names that entity's owners, and the lineage view opens it."""
    node = _node_by_id(node_id)
    if node.kind != NodeKind.DATASET:
        raise ValidationError("Only datasets link to catalog entities.", fields={"nodeId": "a dataset"})
    if catalog.entity_ref(urn=urn) is None:
        raise NotFound(f"No entity {urn}.")
    Node.objects.filter(pk=node.pk).update(entity_urn=urn, updated_at=timezone.now())
    LINKS_CACHE.drop([LINKED_ELSEWHERE])  # every process's, when this commits
    publish_many([_edge_change(events.DATASET_LINKED, node_id, urn, current_actor() or "", None)])
