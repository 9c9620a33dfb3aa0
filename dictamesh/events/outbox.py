"""``publish()``: an event becomes an outbox row and an event-log row in the caller's transaction.

A rolled-back transaction publishes nothing; a committed one wakes the relay (NOTIFY on commit).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dictamesh.db import insert_rows_into, jsonable

from .context import current_actor
from .envelope import Event
from .models import SHARDS, EventLog, OutboxMessage
from .topics import get_topic, topic_for_type

NOTIFY_CHANNEL = "dictamesh_outbox"
_COMMON = {
    "event_id": "uuid",
    "topic": "text",
    "type": "text",
    "source": "text",
    "subject": "text",
    "time": "timestamptz",
    "data": "jsonb",
    "actor": "text",
}
OUTBOX_COLUMNS = {
    **_COMMON,
    "key": "text",
    "shard": "smallint",
    "dataschema": "text",
    "traceparent": "text",
    "created_at": "timestamptz",
    "attempts": "integer",
    "last_error": "text",
}
LOG_COLUMNS = {
    **_COMMON,
    "trace_id": "text",
    "before": "jsonb",
    "after": "jsonb",
    "recorded_at": "timestamptz",
}


@dataclass(frozen=True)
class Change:
    """One event to publish, with the state around it for the event log."""

    type: str
    subject: str
    data: Any
    key: str | None = None
    topic: str | None = None
    before: Any = None
    after: Any = None
    actor: str | None = None
    dataschema: str | None = None
    json_ready: bool = False  # data, before and after are already plain JSON values: skip the round trip
    # data[embed_after] is the after state itself (``is``): it travels to the database once, not twice
    embed_after: str | None = None


_DATA = "CASE WHEN r.embed IS NULL THEN r.data ELSE r.data || jsonb_build_object(r.embed, r.after) END"


def _exprs(columns: dict[str, str]) -> dict[str, str]:
    """The SQL of each column: the row's value, except the data, which gets the embedded after state back."""
    return {name: _DATA if name == "data" else f'r."{name}"' for name in columns}


def _trace() -> tuple[str | None, str | None]:
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    flags = format(int(ctx.trace_flags), "02x")
    trace_id = format(ctx.trace_id, "032x")
    return f"00-{trace_id}-{format(ctx.span_id, '016x')}-{flags}", trace_id


_BATCH = 5000  # rows per statement


def shard_of(key: str) -> int:
    return zlib.crc32(key.encode()) % SHARDS


def _wake_relay() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"NOTIFY {NOTIFY_CHANNEL}")


def _schedule_wakeup() -> None:
    """One NOTIFY per transaction, after commit. A rollback drops the callback with the rest of the work."""
    if any(entry[1] is _wake_relay for entry in connection.run_on_commit):
        return
    transaction.on_commit(_wake_relay)


def publish_many(changes: Iterable[Change]) -> list[Event]:
    source = settings.DICTAMESH_EVENT_SOURCE
    traceparent, trace_id = _trace()
    default_actor = current_actor()
    rows, events = [], []
    now = timezone.now()
    for change in changes:
        topic = get_topic(change.topic or topic_for_type(change.type))
        key = change.key or change.subject
        if not change.subject:
            raise ValueError(f"event {change.type} needs a subject")
        event = Event(
            type=change.type,
            source=source,
            subject=change.subject,
            data=change.data if change.json_ready else jsonable(change.data),
            dataschema=change.dataschema,
            traceparent=traceparent,
            actor=change.actor or default_actor,
        )
        events.append(event)
        after = change.after if change.json_ready else jsonable(change.after)
        data, embed = event.data, None
        if change.embed_after is not None:
            if not isinstance(change.data, dict) or change.data.get(change.embed_after) is not change.after:
                raise ValueError(f"event {change.type}: data[{change.embed_after!r}] is not its after state")
            embed = change.embed_after
            data = {k: v for k, v in event.data.items() if k != embed}
        common = {
            "event_id": event.id,
            "topic": topic.name,
            "type": event.type,
            "source": event.source,
            "subject": event.subject,
            "time": event.time,
            "data": data,
            "actor": event.actor or "",
        }
        rows.append(
            {
                **common,
                "key": key,
                "shard": shard_of(key),
                "dataschema": event.dataschema or "",
                "traceparent": event.traceparent or "",
                "created_at": now,
                "attempts": 0,
                "last_error": "",
                "trace_id": trace_id or "",
                "before": change.before if change.json_ready else jsonable(change.before),
                "after": after,
                "recorded_at": now,
                "embed": embed,
            }
        )
    if not events:
        return []
    tables = {
        OutboxMessage._meta.db_table: _exprs(OUTBOX_COLUMNS),
        EventLog._meta.db_table: _exprs(LOG_COLUMNS),
    }
    columns = {**OUTBOX_COLUMNS, **LOG_COLUMNS, "embed": "text"}
    if len(rows) <= _BATCH and not connection.in_atomic_block:  # one statement is a transaction of its own
        insert_rows_into(tables, columns, rows, notify=NOTIFY_CHANNEL)
        return events
    with transaction.atomic(savepoint=False):  # inside a caller's transaction: no savepoint round trips
        for start in range(0, len(rows), _BATCH):  # one JSON document fills both tables, and wakes the relay
            insert_rows_into(tables, columns, rows[start : start + _BATCH], notify=NOTIFY_CHANNEL)
    return events


def publish(
    *,
    type: str,  # noqa: A002 - the CloudEvents attribute name
    subject: str,
    data: Any,
    key: str | None = None,
    topic: str | None = None,
    before: Any = None,
    after: Any = None,
    actor: str | None = None,
    dataschema: str | None = None,
) -> Event:
    """Publish one event in the current transaction (joins the caller's atomic block)."""
    change = Change(type, subject, data, key, topic, before, after, actor, dataschema)
    return publish_many([change])[0]


def outbox_retry(*, ids: list[int]) -> int:
    """Give unsent rows a fresh start (attempts and error cleared) and wake the relay at once."""
    with transaction.atomic():
        count = OutboxMessage.objects.filter(pk__in=ids, sent_at__isnull=True).update(
            attempts=0, last_error=""
        )
        _schedule_wakeup()
    return count
