"""Writes of freshness SLAs, and the periodic check that tells when a dataset is late.

A dataset with an SLA must have been written by a completed run (an OpenLineage ``COMPLETE`` event naming it
as an output) at most ``sla_seconds`` ago; while none has, the time counts from the SLA's creation. The check
(a beat task, every minute) publishes ``dictamesh.lineage.freshness.breached`` when a dataset becomes late and
``…restored`` when it is on time again: once each, whichever process checks. Their subject is the dataset's
catalog entity, so the entity's owners can subscribe to them (notifications).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from dictamesh.errors import ValidationError
from dictamesh.events import publish_many
from dictamesh.events.context import current_actor
from dictamesh.events.outbox import Change

from . import events, selectors
from .models import Freshness, Node, NodeKind

SLA_MIN = 60
SLA_MAX = 366 * 24 * 3600


def _dataset(node_id: str) -> Node:
    from .ingestion import catch_up

    catch_up()  # a dataset named by an event just accepted
    node = selectors.node_by_urn(node_id) if node_id.startswith("dm:") else selectors.node_by_id(node_id)
    if node.kind != NodeKind.DATASET:
        raise ValidationError(
            "A freshness SLA is set on a dataset.", fields={"nodeId": f"{node.node_id} is a {node.kind}"}
        )
    return node


def _subject(node: Node) -> str:
    return node.entity_urn or node.node_id


def freshness_set(*, node_id: str, sla_seconds, actor: str | None = None) -> dict:
    """Set (or change) a dataset's SLA: at most ``sla_seconds`` between completed writes."""
    if (
        isinstance(sla_seconds, bool)
        or not isinstance(sla_seconds, int)
        or not SLA_MIN <= sla_seconds <= SLA_MAX
    ):
        raise ValidationError(
            f"slaSeconds is a whole number of seconds from {SLA_MIN} to {SLA_MAX} (a year).",
            fields={"slaSeconds": f"{SLA_MIN}..{SLA_MAX}"},
        )
    node = _dataset(node_id)
    actor = actor or current_actor() or ""
    with transaction.atomic():
        row = Freshness.objects.select_for_update().filter(dataset=node).first()
        before = None if row is None else {"slaSeconds": row.sla_seconds}
        if row is None:
            row = Freshness.objects.create(dataset=node, sla_seconds=sla_seconds, created_by=actor)
        elif row.sla_seconds != sla_seconds:
            row.sla_seconds, row.updated_at = sla_seconds, timezone.now()
            row.save(update_fields=["sla_seconds", "updated_at"])
        if before != {"slaSeconds": sla_seconds}:
            publish_many(
                [
                    Change(
                        type=events.FRESHNESS_SET, subject=_subject(node), key=node.node_id, actor=actor or None,
                        data={"nodeId": node.node_id, "slaSeconds": sla_seconds}, before=before,
                        after={"slaSeconds": sla_seconds}, json_ready=True,
                    )
                ]
            )  # fmt: skip
    return selectors.freshness_of(node)


def freshness_remove(*, node_id: str, actor: str | None = None) -> None:
    node = _dataset(node_id)
    actor = actor or current_actor() or ""
    with transaction.atomic():
        row = Freshness.objects.select_for_update().filter(dataset=node).first()
        if row is None:
            from dictamesh.errors import NotFound

            raise NotFound(f"No freshness SLA on {node.node_id!r}.")
        row.delete()
        publish_many(
            [
                Change(
                    type=events.FRESHNESS_REMOVED, subject=_subject(node), key=node.node_id, actor=actor or None,
                    data={"nodeId": node.node_id}, before={"slaSeconds": row.sla_seconds}, json_ready=True,
                )
            ]
        )  # fmt: skip


def freshness_check(*, now: datetime | None = None) -> dict[str, int]:
    """Compare every SLA with the dataset's last completed write; publish what became late or on time.
    Rows another process is checking are skipped (their state changes are published once)."""
    from .ingestion import catch_up

    catch_up()  # runs accepted but not applied yet count as written
    now = now or timezone.now()
    counts = {"checked": 0, "breached": 0, "restored": 0}
    with transaction.atomic():
        rows = list(
            Freshness.objects.select_for_update(skip_locked=True).select_related("dataset__namespace")
        )
        written = selectors.last_written([r.dataset_id for r in rows])
        changes = []
        for row in rows:
            last = written.get(row.dataset_id)
            due = (last or row.created_at) + timedelta(seconds=row.sla_seconds)
            late = now > due
            if late == (row.breached_at is not None):
                continue
            node = row.dataset
            data = {
                "nodeId": node.node_id, "namespace": node.namespace.name, "name": node.name,
                "urn": node.entity_urn or None, "slaSeconds": row.sla_seconds,
                "lastWrittenAt": selectors.iso(last), "dueAt": selectors.iso(due),
            }  # fmt: skip
            if late:
                row.breached_at = now
                data["overdueSeconds"] = int((now - due).total_seconds())
                counts["breached"] += 1
            else:
                data["lateSince"] = selectors.iso(row.breached_at)
                row.breached_at = None
                counts["restored"] += 1
            row.save(update_fields=["breached_at"])
            changes.append(
                Change(
                    type=events.FRESHNESS_BREACHED if late else events.FRESHNESS_RESTORED,
                    subject=_subject(node), key=node.node_id, data=data, json_ready=True,
                )
            )  # fmt: skip
        Freshness.objects.filter(pk__in=[r.pk for r in rows]).update(checked_at=now)
        if changes:
            publish_many(changes)
        counts["checked"] = len(rows)
    return counts
