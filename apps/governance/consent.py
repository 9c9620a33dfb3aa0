"""Consent records per data subject and purpose: granted or withdrawn, with the version of the text agreed
to, where it was given, and evidence. Append-only; the latest record per subject and purpose is in force
(withdrawn, expired or absent means no consent). Subjects are kept as keyed hashes, never in clear."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dictamesh.contracts import SLUG
from dictamesh.errors import ValidationError
from dictamesh.events import publish
from dictamesh.events.context import current_actor

from . import events
from .contracts import ConsentIn
from .masking import mask_value
from .models import ConsentRecord, ConsentStatus

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


@transaction.atomic
def consent_record(*, record: ConsentIn, actor: str | None = None) -> ConsentRecord:
    row = ConsentRecord.objects.create(
        subject_hash=subject_hash(record.subject),
        subject_hint=_hint(record.subject),
        purpose=record.purpose,
        status=record.status,
        version=record.version,
        source=record.source,
        evidence=record.evidence,
        expires_at=record.expires_at,
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
    if purpose is not None and (not isinstance(purpose, str) or not SLUG.match(purpose)):
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
