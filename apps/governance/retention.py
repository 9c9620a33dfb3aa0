"""Retention: policies per domain, entity type or classification (keep N days, then delete or anonymize),
legal holds that nothing under them is removed, runs that report first.

A policy that is not enforced only reports: each run records the entities it would delete or anonymize,
those a legal hold keeps, and the counts. Enforced, the run deletes (a soft delete: the history stays) or
anonymizes (every confirmed sensitive property replaced by its hash) through the catalog, each change a
versioned, audited event whose actor is ``retention:<policy>``; the run itself is an event too.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from fnmatch import fnmatchcase
from typing import Any

from django.db import transaction
from django.utils import timezone

from dictamesh.errors import Conflict, NotFound, ValidationError
from dictamesh.events import publish
from dictamesh.events.context import current_actor

from . import events
from .contracts import LegalHoldIn, RetentionPolicyIn
from .masking import mask_value, masked_copy
from .models import LegalHold, RetentionAction, RetentionPolicy, RetentionRun

logger = logging.getLogger("dictamesh.governance")
MAX_ITEMS = 1000
BATCH = 10000
POLICY_FIELDS = (
    "name", "description", "domain", "entity_type", "classification", "keep_days", "basis", "action", "enforce",
    "enabled",
)  # fmt: skip


def policy_state(policy: RetentionPolicy) -> dict[str, Any]:
    return {k: getattr(policy, k) for k in POLICY_FIELDS} | {"updated_at": policy.updated_at}


def _selects_something(policy: dict | RetentionPolicy) -> bool:
    get = policy.get if isinstance(policy, dict) else lambda k, d="": getattr(policy, k, d)
    return bool(get("domain", "") or get("entity_type", "") or get("classification", ""))


@transaction.atomic
def policy_save(
    *, policy: RetentionPolicyIn, name: str | None = None, actor: str | None = None
) -> RetentionPolicy:
    """Create (``name`` None) or change a retention policy; it must name a domain, a type or a classification."""
    fields = policy.sent()
    if name is None:
        if RetentionPolicy.objects.filter(name=fields["name"]).exists():
            raise Conflict(f"A retention policy named {fields['name']} exists.", fields={"name": "taken"})
        row = RetentionPolicy(**fields)
        before = None
    else:
        row = RetentionPolicy.objects.select_for_update().filter(name=name).first()
        if row is None:
            raise NotFound(f"No retention policy {name}.")
        before = policy_state(row)
        for key, value in fields.items():
            setattr(row, key, value)
    if not _selects_something(row):
        raise ValidationError(
            "A retention policy names a domain, an entity type or a classification.",
            fields={"domain": "name one of domain, entity_type, classification"},
        )
    row.updated_at = timezone.now()
    row.save()
    after = policy_state(row)
    publish(type=events.RETENTION_CHANGED, subject=f"retention:{row.name}", data=after, before=before,
            after=after, actor=actor, topic=events.POLICY_TOPIC.name)  # fmt: skip
    return row


@transaction.atomic
def hold_save(*, hold: LegalHoldIn, actor: str | None = None) -> LegalHold:
    if LegalHold.objects.filter(name=hold.name).exists():
        raise Conflict(f"A legal hold named {hold.name} exists.", fields={"name": "taken"})
    row = LegalHold.objects.create(
        name=hold.name, reason=hold.reason, domain=hold.domain, urn_pattern=hold.urn_pattern,
        created_by=actor or current_actor(),
    )  # fmt: skip
    publish(type=events.LEGAL_HOLD_CHANGED, subject=f"hold:{row.name}", data=hold_state(row), actor=actor,
            topic=events.POLICY_TOPIC.name)  # fmt: skip
    return row


@transaction.atomic
def hold_release(*, name: str, actor: str | None = None) -> LegalHold:
    hold = LegalHold.objects.select_for_update().filter(name=name).first()
    if hold is None:
        raise NotFound(f"No legal hold {name}.")
    if hold.active:
        hold.active, hold.released_at = False, timezone.now()
        hold.save(update_fields=["active", "released_at"])
        publish(type=events.LEGAL_HOLD_CHANGED, subject=f"hold:{hold.name}", data=hold_state(hold), actor=actor,
                topic=events.POLICY_TOPIC.name)  # fmt: skip
    return hold


def hold_state(hold: LegalHold) -> dict[str, Any]:
    return {
        "name": hold.name, "reason": hold.reason, "domain": hold.domain, "urn_pattern": hold.urn_pattern,
        "active": hold.active, "created_by": hold.created_by, "created_at": hold.created_at,
        "released_at": hold.released_at,
    }  # fmt: skip


def _held(item: dict, holds: list[LegalHold]) -> str | None:
    for hold in holds:
        if hold.domain and hold.domain != item["domain"]:
            continue
        if hold.urn_pattern and not fnmatchcase(item["urn"], hold.urn_pattern):
            continue
        return hold.name
    return None


def _anonymized(urn: str) -> dict | None:
    """The entity's properties with every confirmed sensitive field replaced by its hash, or None when it has
    none to replace."""
    from apps.catalog.public import entity_properties

    from .selectors import field_infos

    props = entity_properties(urn=urn) or {}
    fields = field_infos(urns=[urn]).get(urn, {})
    out = props
    for path, info in sorted(fields.items()):
        if info.sensitive:
            out = masked_copy(out, path.split("."), lambda v: mask_value(v, "hash"))
    return out if out != props else None


def run(policy: RetentionPolicy, *, dry_run: bool | None = None, actor: str | None = None) -> RetentionRun:
    """Run ``policy`` now: report always; change only when enforced and not ``dry_run``."""
    from apps.catalog import public as catalog

    dry = (not policy.enforce) if dry_run is None else (dry_run or not policy.enforce)
    who = f"retention:{policy.name}"  # the actor of the changes; the run records who started it
    record = RetentionRun.objects.create(policy=policy, dry_run=dry, actor=actor or "beat")
    before = timezone.now() - timedelta(days=policy.keep_days)
    found = catalog.entities_older_than(
        before=before, basis=policy.basis, domain=policy.domain, entity_type=policy.entity_type,
        classification=policy.classification, limit=BATCH,
    )  # fmt: skip
    holds = list(LegalHold.objects.filter(active=True))
    items: list[dict] = []
    counts = {"held": 0, "applied": 0, "failed": 0}
    for item in found:
        hold = _held(item, holds)
        outcome = f"held:{hold}" if hold else ("would_" + policy.action if dry else policy.action)
        if hold:
            counts["held"] += 1
        elif not dry:
            try:
                with transaction.atomic():
                    if policy.action == RetentionAction.DELETE:
                        catalog.entity_delete(urn=item["urn"], actor=who)
                    else:
                        replaced = _anonymized(item["urn"])
                        if replaced is None:
                            outcome = "nothing_to_anonymize"
                        else:
                            catalog.entity_properties_replace(urn=item["urn"], properties=replaced, actor=who)
                if outcome in (RetentionAction.DELETE, RetentionAction.ANONYMIZE):
                    counts["applied"] += 1
            except Exception as exc:  # one entity's failure is reported; the run goes on
                logger.warning("retention %s failed on %s", policy.name, item["urn"], exc_info=True)
                outcome, counts["failed"] = f"failed:{type(exc).__name__}", counts["failed"] + 1
        if len(items) < MAX_ITEMS:
            items.append({"urn": item["urn"], "outcome": outcome})
    record.candidates, record.items, record.finished_at = len(found), items, timezone.now()
    record.held, record.applied, record.failed = counts["held"], counts["applied"], counts["failed"]
    record.save()
    publish(type=events.RETENTION_RAN, subject=f"retention:{policy.name}", data=run_state(record), actor=actor,
            topic=events.POLICY_TOPIC.name)  # fmt: skip
    return record


def run_state(record: RetentionRun) -> dict[str, Any]:
    return {
        "id": record.pk, "policy": record.policy.name, "dry_run": record.dry_run, "started_at": record.started_at,
        "finished_at": record.finished_at, "started_by": record.actor, "candidates": record.candidates,
        "held": record.held,
        "applied": record.applied, "failed": record.failed, "items": record.items,
    }  # fmt: skip


def run_all() -> list[RetentionRun]:
    """Every enabled policy, each as it is set (the beat task)."""
    return [run(policy) for policy in RetentionPolicy.objects.filter(enabled=True).order_by("name")]
