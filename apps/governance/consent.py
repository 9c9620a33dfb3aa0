"""Consent records per data subject and purpose: granted or withdrawn, with the version of the text agreed
to, where it was given, and evidence. Append-only; the latest record per subject and purpose is in force
(withdrawn, expired or absent means no consent). Subjects are kept as keyed hashes, never in clear."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dictamesh.errors import ValidationError, unknown_fields
from dictamesh.events import publish
from dictamesh.events.context import current_actor

from . import events
from .masking import mask_value
from .models import ConsentRecord, ConsentStatus

PURPOSE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
MAX_SUBJECTS = 500


def subject_hash(subject: str) -> str:
    """The keyed hash a subject identifier is stored and looked up by (trimmed, lower-cased)."""
    key = (settings.DICTAMESH_MASKING_SALT or ("dictamesh-consent:" + settings.SECRET_KEY)).encode()
    return hmac.new(key, subject.strip().lower().encode(), hashlib.sha256).hexdigest()


def _hint(subject: str) -> str:
    text = subject.strip()
    return mask_value(text, "partial", ["email"] if "@" in text else ["national_id"])


def consent_state(row: ConsentRecord, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    expired = row.expires_at is not None and row.expires_at <= now
    return {
        "id": row.pk,
        "subject": row.subject_hint,
        "purpose": row.purpose,
        "status": row.status,
        "in_force": row.status == ConsentStatus.GRANTED and not expired,
        "version": row.version,
        "source": row.source,
        "evidence": row.evidence,
        "recorded_at": row.recorded_at,
        "recorded_by": row.recorded_by,
        "expires_at": row.expires_at,
    }


def _clean(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError("A consent record is a JSON object.", fields={"body": "object"})
    allowed = {"subject", "purpose", "status", "version", "source", "evidence", "expires_at"}
    errors: dict[str, str] = unknown_fields(data, allowed)
    subject = data.get("subject")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 500:
        errors["subject"] = "the subject's identifier (e-mail, customer id, …), at most 500 characters"
    if not isinstance(data.get("purpose"), str) or not PURPOSE.match(data["purpose"]):
        errors["purpose"] = "a slug: marketing-email, analytics, …"
    if data.get("status") not in ConsentStatus.values:
        errors["status"] = "granted or withdrawn"
    for key, limit in (("version", 50), ("source", 100)):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            errors[key] = f"required, at most {limit} characters"
    evidence = data.get("evidence", {})
    if not isinstance(evidence, dict) or len(str(evidence)) > 10000:
        errors["evidence"] = "a JSON object (IP, form id, recording id, …), at most 10 kB"
    expires = data.get("expires_at")
    when = None
    if expires is not None:
        when = parse_datetime(expires) if isinstance(expires, str) else None
        if when is None:
            errors["expires_at"] = "an ISO 8601 date-time"
    if errors:
        raise ValidationError("The consent record is invalid.", fields=errors)
    return {**data, "evidence": evidence, "expires_at": when}


@transaction.atomic
def consent_record(*, data: Any, actor: str | None = None) -> ConsentRecord:
    fields = _clean(data)
    row = ConsentRecord.objects.create(
        subject_hash=subject_hash(fields["subject"]),
        subject_hint=_hint(fields["subject"]),
        purpose=fields["purpose"],
        status=fields["status"],
        version=fields["version"].strip(),
        source=fields["source"].strip(),
        evidence=fields["evidence"],
        expires_at=fields["expires_at"],
        recorded_by=actor or current_actor(),
    )
    state = consent_state(row)
    publish(
        type=events.CONSENT_RECORDED,
        subject=f"consent:{row.subject_hash[:16]}:{row.purpose}",
        key=row.subject_hash,
        data={k: v for k, v in state.items() if k != "evidence"},
        topic=events.POLICY_TOPIC.name,
        actor=actor,
    )
    return row


def consents_of(*, subject: str, purpose: str | None = None, history: bool = False) -> list[dict]:
    """The consents of a subject (in force per purpose, or every record with ``history``)."""
    if purpose is not None and (not isinstance(purpose, str) or not PURPOSE.match(purpose)):
        raise ValidationError("purpose is a slug.", fields={"purpose": "a slug"})
    rows = ConsentRecord.objects.filter(subject_hash=subject_hash(subject))
    if purpose:
        rows = rows.filter(purpose=purpose)
    rows = list(rows.order_by("purpose", "-recorded_at", "-id"))
    if not history:
        latest: dict[str, ConsentRecord] = {}
        for row in rows:
            latest.setdefault(row.purpose, row)
        rows = list(latest.values())
    now = timezone.now()
    return [consent_state(r, now=now) for r in rows]


def consent_given(*, subject: str, purpose: str) -> bool:
    """Whether ``subject`` consents to ``purpose`` now (its latest record grants it and has not expired)."""
    found = consents_of(subject=subject, purpose=purpose)
    return bool(found) and found[0]["in_force"]


def subjects_with_consent(*, purpose: str, subjects: list[str]) -> dict[str, bool]:
    """{subject: consents to ``purpose`` now} for a batch of subjects (one query)."""
    if len(subjects) > MAX_SUBJECTS:
        raise ValidationError(
            f"At most {MAX_SUBJECTS} subjects.", fields={"subjects": f"at most {MAX_SUBJECTS}"}
        )
    hashes = {subject_hash(s): s for s in subjects}
    latest: dict[str, ConsentRecord] = {}
    rows = ConsentRecord.objects.filter(subject_hash__in=list(hashes), purpose=purpose)
    for row in rows.order_by("subject_hash", "-recorded_at", "-id"):
        latest.setdefault(row.subject_hash, row)
    now = timezone.now()
    return {s: h in latest and consent_state(latest[h], now=now)["in_force"] for h, s in hashes.items()}
