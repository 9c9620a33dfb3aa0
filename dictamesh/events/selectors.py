"""Reads of the event log: filters, keyset (cursor) pagination newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from dictamesh.api.cursors import decode_cursor, encode_cursor, invalid_cursor
from dictamesh.errors import NotFound, ValidationError

from .models import EventLog

MAX_LIMIT = 500


@dataclass(frozen=True)
class EventPage:
    items: list[EventLog]
    next_cursor: str | None


def _encode_cursor(row: EventLog) -> str:
    return encode_cursor([row.time.isoformat(), row.id])


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        time_text, row_id = decode_cursor(cursor)
        return datetime.fromisoformat(time_text), int(row_id)
    except (TypeError, ValueError) as exc:
        raise invalid_cursor() from exc


def event_log_list(
    *,
    subject: str | None = None,
    type: str | None = None,  # noqa: A002 - the CloudEvents attribute
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> EventPage:
    """Events newest first. ``type`` may end in ``*`` (``dictamesh.catalog.*``) to match a prefix."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(
            f"limit must be between 1 and {MAX_LIMIT}.", fields={"limit": f"1..{MAX_LIMIT}"}
        )
    if since and until and since > until:
        raise ValidationError("since must not be after until.", fields={"since": "after until"})
    queryset = EventLog.objects.all()
    if subject:
        queryset = queryset.filter(subject=subject)
    if type:
        queryset = (
            queryset.filter(type__startswith=type[:-1]) if type.endswith("*") else queryset.filter(type=type)
        )
    if actor:
        queryset = queryset.filter(actor=actor)
    if since:
        queryset = queryset.filter(time__gte=since)
    if until:
        queryset = queryset.filter(time__lt=until)
    if cursor:
        time, row_id = _decode_cursor(cursor)
        queryset = queryset.filter(Q(time__lt=time) | Q(time=time, id__lt=row_id))
    rows = list(queryset.order_by("-time", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return EventPage(rows, _encode_cursor(rows[-1]) if more and rows else None)


def event_log_get(*, event_id: str) -> EventLog:
    row = EventLog.objects.filter(event_id=event_id).first() if _is_uuid(event_id) else None
    if row is None:
        raise NotFound(f"No event with id {event_id}.")
    return row


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def event_log_guarded(request, rows: list[EventLog]) -> list[EventLog]:
    """The rows this request's caller may see, as it may see them: ``DICTAMESH_EVENT_LOG_GUARD`` (a dotted
    path to ``guard(request, rows)``, set by the deployment: governance) filters and masks them."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    path = getattr(settings, "DICTAMESH_EVENT_LOG_GUARD", "")
    return import_string(path)(request, rows) if path and rows else rows


def event_log_dict(row: EventLog) -> dict:
    """One event of the log as the REST API and the inspector show it."""
    return {
        "id": str(row.event_id),
        "type": row.type,
        "source": row.source,
        "subject": row.subject,
        "topic": row.topic,
        "time": row.time,
        "actor": row.actor or None,
        "trace_id": row.trace_id or None,
        "data": row.data,
        "before": row.before,
        "after": row.after,
    }
