"""Field classifications: a steward's decisions and detectors' suggestions, and what they change.

A confirmed classification makes its field sensitive (masked on read unless ``read_sensitive``); the
catalog is told which property paths of the entity are sensitive (they leave its search index) and which
PII categories it holds (policies select entities by them). Suggestions change nothing until confirmed.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from dictamesh.errors import NotFound, ValidationError
from dictamesh.events import publish
from dictamesh.events.context import current_actor

from . import events
from .contracts import FieldClassificationIn
from .models import FieldClassification, Status


def field_state(row: FieldClassification) -> dict[str, Any]:
    return {
        "id": row.pk,
        "urn": row.urn,
        "path": row.path,
        "classification": row.classification,
        "pii_category": row.pii_category or None,
        "status": row.status,
        "confidence": row.confidence,
        "detector": row.detector,
        "evidence": row.evidence,
        "origin": row.origin_id,
        "hops": row.hops,
        "decided_by": row.decided_by or None,
        "decided_at": row.decided_at,
        "created_at": row.created_at,
    }


def field_list(*, urn: str | None = None, status: str | None = None, limit: int = 200) -> list[dict]:
    if status is not None and status not in Status.values:
        raise ValidationError(
            f"status must be one of {', '.join(Status.values)}.", fields={"status": "unknown"}
        )
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValidationError("limit must be from 1 to 1000.", fields={"limit": "1..1000"})
    rows = FieldClassification.objects.all()
    if urn:
        rows = rows.filter(urn=urn)
    if status:
        rows = rows.filter(status=status)
    return [field_state(r) for r in rows.order_by("urn", "path", "id")[:limit]]


def sync_entity(urn: str, *, changed: bool = True) -> None:
    """Tell the catalog which property paths of ``urn`` are sensitive now, and the PII it holds; and, when
    a classification ``changed``, move the policy version, so every process drops what it cached of the
    fields' sensitivity."""
    from .services import policy_version_bump

    if changed:
        policy_version_bump()
    from apps.catalog.public import entity_sensitivity_set

    from .selectors import field_infos

    fields = field_infos(urns=[urn]).get(urn, {})
    sensitive = [path for path, info in fields.items() if info.sensitive]
    categories = sorted({c for info in fields.values() for c in info.categories})
    entity_sensitivity_set(urn=urn, fields=sensitive, categories=categories)


@transaction.atomic
def field_classify(*, field: FieldClassificationIn, actor: str | None = None) -> dict:
    """A steward classifies a field: confirmed at once (one manual row per field and category)."""
    fields = field.model_dump()
    from apps.catalog.public import entity_ref

    if entity_ref(urn=fields["urn"]) is None:
        raise NotFound(f"No entity {fields['urn']}.")
    who = actor or current_actor()
    now = timezone.now()
    row, _ = FieldClassification.objects.update_or_create(
        urn=fields["urn"],
        path=fields["path"],
        pii_category=fields["pii_category"],
        detector="manual",
        origin=None,
        defaults={
            "classification": fields["classification"],
            "evidence": fields["evidence"],
            "status": Status.CONFIRMED,
            "confidence": 1.0,
            "decided_by": who,
            "decided_at": now,
            "updated_at": now,
        },
    )
    _decided(row, who)
    return field_state(row)


@transaction.atomic
def field_decide(*, pk: int, confirm: bool, actor: str | None = None) -> dict:
    row = FieldClassification.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        raise NotFound(f"No field classification {pk}.")
    who = actor or current_actor()
    row.status = Status.CONFIRMED if confirm else Status.REJECTED
    row.decided_by, row.decided_at = who, timezone.now()
    row.updated_at = row.decided_at
    row.save()
    _decided(row, who)
    return field_state(row)


def _decided(row: FieldClassification, actor: str) -> None:
    if row.origin_id is None:
        FieldClassification.objects.filter(  # the steward's word settles what detectors suggested for it
            urn=row.urn, path=row.path, pii_category=row.pii_category, origin=None, status=Status.SUGGESTED
        ).exclude(pk=row.pk).delete()
    if row.origin_id is None:  # a field's own classification: its copies downstream follow it
        if row.status == Status.CONFIRMED:
            propagate(row)
        else:
            _drop_copies(row)
    elif row.status == Status.REJECTED:  # removed at this hop: so are the copies made through it
        _reject_onward(row, actor)
    else:
        propagate(row.origin)
    sync_entity(row.urn)
    state = field_state(row)
    publish(
        type=events.FIELD_CLASSIFIED,
        subject=row.urn,
        key=row.urn,
        data=state,
        after=state,
        actor=actor,
        topic=events.POLICY_TOPIC.name,
    )


@transaction.atomic
def field_suggest(*, urn: str, path: str, pii_category: str, classification: str, confidence: float,
                  detector: str, evidence: str = "") -> FieldClassification:  # fmt: skip
    """A detector's suggestion: one per field and category whichever detector makes it. A field a steward
    already decided (confirmed, rejected or classified by hand) keeps that decision; a waiting suggestion
    takes the stronger evidence."""
    with connection.cursor() as cursor:  # two scans of one entity must not both add a row for one field
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [SUGGEST_LOCK, f"{urn}#{path}#{pii_category}"]
        )
    rows = list(
        FieldClassification.objects.filter(urn=urn, path=path, pii_category=pii_category, origin=None)
    )
    decided = next((r for r in rows if r.status != Status.SUGGESTED), None)
    if decided is not None:
        return decided
    if rows:
        row = max(rows, key=lambda r: r.confidence)
        if confidence > row.confidence or (detector != row.detector and "+" in detector):
            row.confidence, row.evidence, row.detector = max(confidence, row.confidence), evidence, detector
            row.classification, row.updated_at = classification, timezone.now()
            row.save(update_fields=["confidence", "evidence", "detector", "classification", "updated_at"])
        return row
    return FieldClassification.objects.create(
        urn=urn, path=path, pii_category=pii_category, detector=detector, origin=None,
        classification=classification, confidence=confidence, evidence=evidence, status=Status.SUGGESTED,
    )  # fmt: skip


SUGGEST_LOCK = 0x4447  # "DG": first key of the advisory lock one field's suggestion is written under


MAX_ROWS = 1000


def fields_detect(*, urn: str, rows: Any = None, properties: bool = True) -> list[dict]:
    """Run the detectors over sample ``rows`` of an entity (and its catalog properties) and keep their
    suggestions; a field a steward already decided keeps its decision."""
    from apps.catalog.public import entity_properties

    from .detection import detect

    if rows is None:
        rows = []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValidationError(
            "samples is a list of JSON objects (rows).", fields={"samples": "list of objects"}
        )
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"At most {MAX_ROWS} sample rows.", fields={"samples": f"at most {MAX_ROWS}"})
    props = entity_properties(urn=urn)
    if props is None:
        raise NotFound(f"No entity {urn}.")
    scanned = rows + ([props] if properties and props else [])
    out = []
    with transaction.atomic():
        for found in detect(scanned):
            row = field_suggest(
                urn=urn,
                path=found.path,
                pii_category=found.category,
                classification=found.classification,
                confidence=found.confidence,
                detector=found.detector,
                evidence=found.evidence,
            )
            out.append(field_state(row))
    return out


def has_confirmed(*, urn: str) -> bool:
    return FieldClassification.objects.filter(urn=urn, status=Status.CONFIRMED).exists()


# -------------------------------------------------------------------------------------------- propagation
def propagate(root: FieldClassification, *, depth: int = 10) -> int:
    """Copy a confirmed classification onto the fields derived from its field along column lineage (as
    Apache Atlas propagates classifications), each copy recording its root, the copy it came through and
    its distance. A copy a steward rejected stays rejected, and nothing is propagated through it. Copies
    no longer downstream (the lineage changed) are removed. Returns how many copies are in force."""
    from apps.lineage.public import downstream_fields

    if root.status != Status.CONFIRMED or root.origin_id is not None:
        return 0
    found = downstream_fields(urn=root.urn, field=root.path, depth=depth)
    copies = {(c.urn, c.path): c for c in FieldClassification.objects.filter(origin=root)}
    by_key: dict[tuple[str, str], FieldClassification | None] = {(root.urn, root.path): root}
    touched = {root.urn}
    now = timezone.now()
    kept = set()
    for item in found:
        key = (item["urn"], item["field"])
        parent = by_key.get((item["via"]["urn"], item["via"]["field"]))
        copy = copies.get(key)
        kept.add(key)
        if parent is None or (copy is not None and copy.status == Status.REJECTED):
            by_key[key] = None  # blocked: a steward removed it here, or upstream of here
            continue
        evidence = f"propagated along column lineage from {root.urn}#{root.path} ({item['hops']} hops)"
        if copy is None:
            copy = FieldClassification.objects.create(
                urn=item["urn"], path=item["field"], classification=root.classification,
                pii_category=root.pii_category, status=Status.CONFIRMED, confidence=root.confidence,
                detector="lineage", evidence=evidence, origin=root, via=parent, hops=item["hops"],
                decided_by="lineage", decided_at=now,
            )  # fmt: skip
        elif (copy.via_id, copy.hops, copy.classification, copy.pii_category) != (
            parent.pk,
            item["hops"],
            root.classification,
            root.pii_category,
        ):
            copy.via, copy.hops, copy.evidence = parent, item["hops"], evidence
            copy.classification, copy.pii_category, copy.updated_at = (
                root.classification,
                root.pii_category,
                now,
            )
            copy.save()
        by_key[key] = copy
        touched.add(item["urn"])
    gone = [c for key, c in copies.items() if key not in kept]
    for copy in gone:
        touched.add(copy.urn)
    FieldClassification.objects.filter(pk__in=[c.pk for c in gone]).delete()
    for urn in touched - {root.urn}:
        sync_entity(urn)
    return sum(1 for v in by_key.values() if v is not None) - 1


def _drop_copies(root: FieldClassification) -> None:
    urns = set(FieldClassification.objects.filter(origin=root).values_list("urn", flat=True))
    FieldClassification.objects.filter(origin=root).delete()
    for urn in urns:
        sync_entity(urn)


def _reject_onward(copy: FieldClassification, actor: str) -> None:
    """Reject the copies made through ``copy`` (a steward removed the classification at that hop)."""
    frontier, now = [copy.pk], timezone.now()
    urns = set()
    while frontier:
        onward = list(FieldClassification.objects.filter(via_id__in=frontier).exclude(status=Status.REJECTED))
        for row in onward:
            row.status, row.decided_by, row.decided_at, row.updated_at = Status.REJECTED, actor, now, now
            row.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
            urns.add(row.urn)
        frontier = [row.pk for row in onward]
    for urn in urns:
        sync_entity(urn)


def propagate_all() -> int:
    """Propagate every confirmed classification again (new lineage reaches new fields): the beat task."""
    total = 0
    roots = FieldClassification.objects.filter(status=Status.CONFIRMED, origin__isnull=True)
    for root in roots.iterator():
        with transaction.atomic():
            total += propagate(root)
    return total
