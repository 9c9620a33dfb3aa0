"""Writes of notifications: ask for one (idempotent by its dedup key), deliver it (once), mark inbox items.

Delivery holds the notification's row lock while it sends, and a notification that is no longer pending is
not sent again: a redelivered event or a retried task never sends twice. A process that dies after a send
but before its commit leaves the row pending, and it is sent again (at least once): receivers drop a
delivery they already have by its dedup key (``X-DictaMesh-Delivery``, and the e-mail's Message-ID).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dictamesh.errors import NotFound, ValidationError
from dictamesh.events.router import matches_any
from dictamesh.tasks import registered

from . import preferences, rate_limit
from .channels import BACKENDS, Result
from .models import Channel, DeliveryAttempt, InboxItem, Notification, Priority, Status

logger = logging.getLogger("dictamesh.notifications")
BACKOFF_BASE = 5.0  # seconds before the second attempt; doubled each time
BACKOFF_MAX = 3600.0


def backoff(attempt: int) -> float:
    return min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1))


def notify(
    *,
    type: str,  # noqa: A002 - the notification type
    channel: str,
    address: str = "",
    user=None,
    subject: str,
    body: str = "",
    payload: dict | None = None,
    priority: str = Priority.NORMAL,
    dedup_key: str,
    event_id: str = "",
    fallback_channel: str = "",
) -> Notification:
    """A notification to send (once: asking again with the same dedup key returns the same one); its
    delivery is queued when the transaction commits. A user's preferences apply (off: the notification is
    recorded as suppressed; quiet hours: it waits for their end), except to critical and mandatory ones."""
    request = {
        "type": type, "channel": channel, "address": address, "user": user, "subject": subject, "body": body,
        "payload": payload, "priority": priority, "dedup_key": dedup_key, "event_id": event_id,
        "fallback_channel": fallback_channel,
    }  # fmt: skip
    return notify_many([request])[0]


@transaction.atomic
def notify_many(requests: list[dict[str, Any]]) -> list[Notification]:
    """``notify`` for many at once, in one statement (a consumer's batch of events): each dict holds
    ``notify``'s arguments. Every request is checked before any is written; the answer is in their order."""
    now = timezone.now()
    rows = [
        _prepare(request, now, index if len(requests) > 1 else None) for index, request in enumerate(requests)
    ]
    first: dict[str, Notification] = {}
    for row in rows:
        first.setdefault(row.dedup_key, row)  # a key asked for twice in this call: its first request
    created = _insert_many(list(first.values()))
    existing = {}
    missing = [row.dedup_key for row in rows if row.dedup_key not in created]
    if missing:  # asked for before: the same ones
        existing = Notification.objects.in_bulk(missing, field_name="dedup_key")
    answer = []
    for row in rows:
        if row.dedup_key not in created:
            answer.append(existing[row.dedup_key])
            continue
        if created[row.dedup_key] is not row:  # a second request in this call with the same key
            answer.append(created[row.dedup_key])
            continue
        answer.append(row)
        if row.status == Status.PENDING and not row.digest:
            countdown = max(0.0, (row.next_attempt_at - now).total_seconds())
            if countdown:
                transaction.on_commit(lambda pk=row.pk, countdown=countdown: _enqueue(pk, countdown))
            else:
                _queue_at_commit(row.pk)
    return answer


def _prepare(request: dict[str, Any], now, index: int | None) -> Notification:
    """The row a request asks for, with the recipient's preferences applied; a bad request is refused."""
    request = dict(request)
    type_, channel, user = request.get("type"), request.get("channel"), request.get("user")
    address, dedup_key = request.get("address") or "", request.get("dedup_key") or ""
    priority = request.get("priority") or Priority.NORMAL
    problems = {}
    if channel not in Channel.values:
        problems["channel"] = f"one of {', '.join(Channel.values)}"
    if channel == Channel.INAPP and user is None:
        problems["user"] = "required for in-app"
    if channel != Channel.INAPP and not address:
        problems["address"] = "required"
    if not dedup_key or len(dedup_key) > 200:
        problems["dedup_key"] = "required, at most 200 characters"
    if not type_ or len(type_) > 100:
        problems["type"] = "required, at most 100 characters"
    if len(address) > 500:
        problems["address"] = "at most 500 characters"
    if len(request.get("event_id") or "") > 100:
        problems["event_id"] = "at most 100 characters"
    if problems:
        where = "" if index is None else f" (request {index})"
        raise ValidationError(f"The notification is invalid{where}.", fields=problems)
    status, when, note, digest = Status.PENDING, now, "", ""
    if user is not None and priority != Priority.CRITICAL and not _mandatory(type_):
        preference = preferences.applying(user=user, type=type_, channel=channel)
        if preference is not None and not preference.enabled:
            status, when, note = Status.SUPPRESSED, None, "turned off by the recipient's preferences"
        elif preference is not None and preference.digest:
            when, digest = None, preference.digest  # sent in the next digest, not on its own
        elif preference is not None:
            when = preferences.after_quiet_hours(preference, now)
    return Notification(
        dedup_key=dedup_key, type=type_, channel=channel, address=address or f"user:{user.pk}", user=user,
        subject=(request.get("subject") or "")[:300], body=request.get("body") or "",
        payload=request.get("payload") or {}, priority=priority, event_id=request.get("event_id") or "",
        next_attempt_at=when, status=status, last_error=note, fallback_channel=request.get("fallback_channel") or "",
        digest=digest, created_at=now,
    )  # fmt: skip


_INSERT_COLUMNS = (
    ("dedup_key", "varchar"), ("type", "varchar"), ("priority", "varchar"), ("channel", "varchar"),
    ("user_id", "bigint"), ("address", "varchar"), ("subject", "varchar"), ("body", "text"), ("payload", "text"),
    ("status", "varchar"), ("attempts", "smallint"), ("next_attempt_at", "timestamptz"), ("last_error", "text"),
    ("event_id", "varchar"), ("fallback_channel", "varchar"), ("digest", "varchar"), ("created_at", "timestamptz"),
)  # fmt: skip


def _insert_many(rows: list[Notification]) -> dict[str, Notification]:
    """One statement: insert the rows whose dedup key is new; sets their ``pk``. Returns them by key."""
    from django.db import connection

    if not rows:
        return {}
    columns = ", ".join(name for name, _ in _INSERT_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in _INSERT_COLUMNS)
    values = [
        [
            orjson.dumps(r.payload, option=orjson.OPT_NON_STR_KEYS).decode()
            if name == "payload"
            else getattr(r, name)
            for r in rows
        ]
        for name, _ in _INSERT_COLUMNS
    ]
    selected = ", ".join("c9::jsonb" if i == 9 else f"c{i}" for i in range(1, len(_INSERT_COLUMNS) + 1))
    aliases = ", ".join(f"c{i}" for i in range(1, len(_INSERT_COLUMNS) + 1))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Notification._meta.db_table} ({columns}) SELECT {selected}"  # noqa: S608 - constants
            f" FROM unnest({arrays}) AS v({aliases}) ON CONFLICT (dedup_key) DO NOTHING RETURNING id, dedup_key",
            values,
        )
        found = cursor.fetchall()
    by_key = {row.dedup_key: row for row in rows}
    created = {}
    for pk, key in found:
        row = by_key[key]
        row.pk = pk
        row._state.adding = False
        created[key] = row
    return created


def _queue_at_commit(pk: int) -> None:
    """Queue ``pk`` with the other notifications of this transaction: one task per 100 once it commits (a
    rollback drops the batch with the rest of the transaction's callbacks)."""
    from django.db import connection

    for entry in connection.run_on_commit:
        batch = getattr(entry[1], "dictamesh_batch", None)
        if batch is not None:
            batch.append(pk)
            return
    batch = [pk]

    def run() -> None:
        _enqueue_many(batch)

    run.dictamesh_batch = batch  # type: ignore[attr-defined]
    transaction.on_commit(run)


def _enqueue_many(ids: list[int]) -> None:
    deliver_many = registered("dictamesh.notifications.deliver_many")
    for start in range(0, len(ids), 100):
        chunk = ids[start : start + 100]
        try:
            deliver_many.apply_async(args=[chunk])
        except Exception:  # the broker is down: the sweep (beat) picks pending notifications up
            logger.warning("could not queue %d notifications; the sweep will", len(chunk), exc_info=True)


def _mandatory(type_: str) -> bool:
    return matches_any(settings.DICTAMESH_NOTIFY_MANDATORY_TYPES, type_)


def _enqueue(pk: int, countdown: float | None = None) -> None:
    try:
        registered("dictamesh.notifications.deliver").apply_async(args=[pk], countdown=countdown)
    except Exception:  # the broker is down: the sweep (beat) picks pending notifications up
        logger.warning("could not queue notification %s; the sweep will", pk, exc_info=True)


def deliver(*, notification_id: int) -> float | None:
    """Try once to deliver a pending notification: None when done (sent or failed for good), else the
    seconds to wait before the next try."""
    return deliver_many(notification_ids=[notification_id]).get(notification_id)


def deliver_many(*, notification_ids: list[int]) -> dict[int, float]:
    """Try once to deliver each of these pending notifications, under their row locks (taken in one query;
    rows another worker holds are skipped), attempts and states written in bulk. Returns {id: seconds to
    wait} for those to try again."""
    waits: dict[int, float] = {}
    with transaction.atomic():
        now = timezone.now()
        rows = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk__in=notification_ids, status=Status.PENDING, digest="")
            .exclude(next_attempt_at__gt=now + timedelta(seconds=1))  # early duplicates (the sweep): not yet
            .order_by("id")
        )
        attempts, tried = [], []
        for row in rows:
            if row.priority != Priority.CRITICAL and not row.rate_slot:
                wait = rate_limit.take(row.channel, row.address)
                if wait:  # over the recipient's rate: it waits for the slot reserved for it (never dropped)
                    row.next_attempt_at = timezone.now() + timedelta(seconds=wait)
                    row.rate_slot = True
                    waits[row.pk] = wait
                    tried.append(row)
                    continue
            row.rate_slot = False
            row.attempts += 1
            started = time.perf_counter()
            try:
                result = BACKENDS[row.channel].send(row)
            except Exception as exc:  # a channel's bug is a failed attempt, reported; the worker goes on
                logger.exception("channel %s failed on notification %s", row.channel, row.pk)
                result = Result("retry", None, f"{type(exc).__name__}: {exc}"[:500])
            attempts.append(
                DeliveryAttempt(
                    notification=row, number=row.attempts, outcome=result.outcome, status_code=result.status_code,
                    detail=result.detail, duration_ms=int((time.perf_counter() - started) * 1000),
                )
            )  # fmt: skip
            if result.outcome == "sent":
                row.status, row.sent_at, row.next_attempt_at, row.last_error = (
                    Status.SENT,
                    timezone.now(),
                    None,
                    "",
                )
            elif result.outcome == "retry" and row.attempts < settings.DICTAMESH_NOTIFY_MAX_ATTEMPTS:
                waits[row.pk] = max(result.retry_after or 0, backoff(row.attempts))
                row.next_attempt_at = timezone.now() + timedelta(seconds=waits[row.pk])
                row.last_error = result.detail
            else:
                row.status, row.next_attempt_at, row.last_error = Status.FAILED, None, result.detail
                _fall_back(row)
            tried.append(row)
        DeliveryAttempt.objects.bulk_create(attempts)
        _save_states(tried)
    return waits


def _save_states(rows: list[Notification]) -> None:
    """Write the rows' delivery state in one statement (``bulk_update``'s CASE per field and row cost more
    than the deliveries themselves)."""
    from django.db import connection

    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Notification._meta.db_table} AS n SET status = v.status, attempts = v.attempts,"  # noqa: S608 - constants
            " sent_at = v.sent_at, next_attempt_at = v.next_attempt_at, last_error = v.last_error,"
            " rate_slot = v.rate_slot"
            " FROM unnest(%s::bigint[], %s::varchar[], %s::smallint[], %s::timestamptz[], %s::timestamptz[],"
            " %s::text[], %s::boolean[]) AS v(id, status, attempts, sent_at, next_attempt_at, last_error, rate_slot)"
            " WHERE n.id = v.id",
            [
                [r.pk for r in rows],
                [r.status for r in rows],
                [r.attempts for r in rows],
                [r.sent_at for r in rows],
                [r.next_attempt_at for r in rows],
                [r.last_error for r in rows],
                [r.rate_slot for r in rows],
            ],
        )


def _fall_back(row: Notification) -> None:
    """After the last failure: the same notification to the user on the fallback channel (e.g. Slack → e-mail)."""
    channel = row.fallback_channel
    if not channel or channel == row.channel or row.user is None:
        return
    if channel == Channel.EMAIL and not row.user.email:
        return
    notify(
        type=row.type, channel=channel, address=row.user.email if channel == Channel.EMAIL else "",
        user=row.user, subject=row.subject, body=row.body, payload=row.payload, priority=row.priority,
        dedup_key=f"{row.dedup_key}:fallback"[:200], event_id=row.event_id,
    )  # fmt: skip


def retry_failed(*, ids: list[int]) -> int:
    """Give failed notifications (the dead letters) another round of attempts."""
    with transaction.atomic():
        count = Notification.objects.filter(pk__in=ids, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
        )
        for pk in ids:
            transaction.on_commit(lambda pk=pk: _enqueue(pk))
    return count


def sweep(*, limit: int = 1000) -> int:
    """Queue the pending notifications whose time has come (a lost task, a broker that was down)."""
    due = list(
        Notification.objects.filter(status=Status.PENDING, digest="", next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        _enqueue(pk)
    return len(due)


def inbox_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark a user's inbox items read (``ids``, or all)."""
    items = InboxItem.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise ValidationError("ids is a list of numbers.", fields={"ids": "list of numbers"})
        found = set(InboxItem.objects.filter(user=user, pk__in=ids).values_list("pk", flat=True))
        missing = sorted(set(ids) - found)
        if missing:
            raise NotFound(f"No inbox item {missing[0]}.")
        items = items.filter(pk__in=ids)
    return items.update(read_at=timezone.now())


def inbox_state(item: InboxItem) -> dict[str, Any]:
    return {
        "id": item.pk, "title": item.title, "body": item.body, "type": item.notification.type,
        "priority": item.notification.priority, "created_at": item.created_at, "read_at": item.read_at,
    }  # fmt: skip


DIGEST_PERIODS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}
DIGEST_MAX = 200


def digests(*, now=None) -> int:
    """Group each recipient's waiting notifications (per channel and period) into one message once the
    oldest has waited its period: the digest is a notification of its own (delivered like any other); the
    grouped ones are marked sent, pointing at it. Returns how many digests were made."""
    now = now or timezone.now()
    made = 0
    waiting = (
        Notification.objects.filter(status=Status.PENDING)
        .exclude(digest="")
        .values_list("user_id", "channel", "address", "digest")
        .distinct()
    )
    for user_id, channel, address, period in list(waiting):
        with transaction.atomic():
            rows = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(
                    status=Status.PENDING, user_id=user_id, channel=channel, address=address, digest=period
                )
                .order_by("created_at", "id")[:DIGEST_MAX]
            )
            if not rows or now - rows[0].created_at < DIGEST_PERIODS.get(period, timedelta(hours=1)):
                continue
            lines = [f"- {r.subject}" for r in rows]
            digest = notify(
                type="dictamesh.notifications.digest",
                channel=channel,
                address="" if channel == Channel.INAPP else address,
                user=rows[0].user,
                subject=f"{len(rows)} notifications ({period} digest)",
                body="\n".join(lines),
                payload={"items": [{"type": r.type, "subject": r.subject, "id": r.dedup_key} for r in rows]},
                dedup_key=f"digest:{user_id}:{channel}:{rows[0].pk}-{rows[-1].pk}",
                priority=Priority.CRITICAL,
            )  # fmt: skip  (critical: a digest is not itself digested, limited or held)
            Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=Status.SENT, sent_at=now, digested_in=digest
            )
            made += 1
    return made
