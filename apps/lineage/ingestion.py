"""OpenLineage events in: accepted at once, applied to the graph in batches (ADR 0013).

``ingest`` validates an event and stores it: the event row (its digest makes a re-send a no-op) and its
normalised form in the queue ``dictamesh_lineage_pending``, in one statement shared by the concurrent requests
of a process (group commit). A run id that belongs to another job is refused there (409). The request returns
once that is committed: nothing accepted is lost.

The applier then takes the queue in batches of up to ``BATCH`` events and applies each batch in one
transaction: ``dictamesh_lineage_apply_pending`` (apps/lineage/sql/apply_pending.sql) writes namespaces,
datasets and jobs (created on first sight), runs, edges, fields and versions from ``schema`` facets and column
lineage, one statement a step for the whole batch; then the catalog entities of new or changed datasets and
one event per applied event on ``dictamesh.lineage.graph.v1``. One batch at a time in the whole deployment
(a transaction-level advisory lock): each process that stores events wakes its applier thread, and reads
call ``catch_up``, which applies whatever was accepted before them. A client reads what it wrote.

Inside a transaction (or with ``DICTAMESH_LINEAGE_GROUP_COMMIT`` off) an event is stored and applied in the
caller's transaction, and the result says which run state and new datasets it produced.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from dictamesh.db import execute_json
from dictamesh.errors import Conflict, DictaMeshError
from dictamesh.events import publish_many
from dictamesh.events.context import current_actor
from dictamesh.events.outbox import Change
from dictamesh.groupcommit import Background, GroupCommit

from . import events
from .catalog_sync import _dataset_keys, _sync_catalog, dataset_urn  # noqa: F401 - dataset_urn: a public name
from .models import PendingEvent, RunState
from .openlineage import ParsedEvent, parse
from .payloads import _payload

logger = logging.getLogger("dictamesh.lineage")
BATCH = 500  # events an applier transaction takes at most
# the applier waits this long after a wake-up: events arriving meanwhile share its batch
GATHER_SECONDS = 0.05
_LOCK = 0x646D6C696E  # the applier's advisory lock: one batch at a time in the deployment
_TERMINAL = {RunState.COMPLETE, RunState.ABORT, RunState.FAIL}
_RANK = {RunState.START: 1, RunState.RUNNING: 2}  # OTHER and unknown: 0; terminal: 3


def _rank(state: str) -> int:
    return 3 if state in _TERMINAL else _RANK.get(state, 0)


@dataclass
class Ingested:
    status: str  # stored | duplicate
    kind: str
    run_id: uuid.UUID | None = None
    run_state: str = ""  # applied in the caller's transaction: the run's state after this event
    new_datasets: list[str] = field(default_factory=list)  # likewise: the datasets it created


def digest_of(body: dict) -> str:
    """sha256 of the event's canonical JSON (keys sorted): the same event sent twice has one digest."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass
class _Item:
    event: ParsedEvent
    work: dict
    digest: str
    body: dict
    actor: str


def _item(body: dict, actor: str) -> _Item:
    event = parse(body)
    return _Item(event, _payload(event), digest_of(body), body, actor)


def ingest(body: dict, *, actor: str | None = None) -> Ingested:
    """Accept one OpenLineage event (validated first: ValidationError names what is wrong; a run id of another
    job: Conflict). Committed when this returns; applied to the graph by the applier, or, inside a
    transaction or with ``DICTAMESH_LINEAGE_GROUP_COMMIT`` off, here in the caller's transaction."""
    item = _item(body, actor or current_actor() or "")
    if settings.DICTAMESH_LINEAGE_GROUP_COMMIT and not connection.in_atomic_block:
        result = _STORE.submit(item)
        if result.status == "stored":
            _APPLIER.wake()
        return result
    (result,) = _ingest_now([item])
    if isinstance(result, BaseException):
        raise result
    return result


def ingest_many(bodies: list, *, actor: str | None = None) -> list[Ingested | DictaMeshError]:
    """Several events stored and applied together in one transaction (in order, as if one after the other):
    each one's result, or its error (an invalid or refused event fails alone)."""
    actor = actor or current_actor() or ""
    items: list[_Item] = []
    results: list[Ingested | DictaMeshError | None] = []
    for body in bodies:
        try:
            items.append(_item(body, actor))
            results.append(None)
        except DictaMeshError as exc:
            results.append(exc)
    applied = iter(_ingest_now(items) if items else [])
    return [next(applied) if r is None else r for r in results]


# -- storing -----------------------------------------------------------------------------------------------

_STORE_SQL = """
WITH b AS MATERIALIZED (
    SELECT * FROM jsonb_to_recordset(%s::jsonb) AS b(i int, digest text, kind text, event_type text,
        event_time timestamptz, run_id uuid, producer text, payload jsonb, job text, job_ns text, job_name text,
        work jsonb, actor text)
), refused AS MATERIALIZED (  -- a run id another job holds, applied or queued
    SELECT b.i FROM b WHERE b.run_id IS NOT NULL AND (
        (SELECT s.name <> b.job_ns OR j.name <> b.job_name FROM dictamesh_lineage_run AS r
         JOIN dictamesh_lineage_node AS j ON j.id = r.job_id
         JOIN dictamesh_lineage_namespace AS s ON s.id = j.namespace_id
         WHERE r.run_id = b.run_id)
        OR (SELECT 1 FROM dictamesh_lineage_pending AS p WHERE p.run_id = b.run_id AND p.job <> b.job LIMIT 1)
           IS NOT NULL)  -- scalar subqueries: index lookups, never a join over a whole table
), ev AS (
    INSERT INTO dictamesh_lineage_event (digest, kind, event_type, event_time, run_id, producer, payload, received_at)
    SELECT b.digest, b.kind, b.event_type, b.event_time, b.run_id, b.producer, b.payload, now() FROM b
    WHERE b.i NOT IN (SELECT i FROM refused) ORDER BY b.i
    ON CONFLICT (digest) DO NOTHING RETURNING id, digest
), queued AS (
    INSERT INTO dictamesh_lineage_pending (event_id, run_id, job, work, actor, received_at, attempts, error)
    SELECT ev.id, b.run_id, b.job, b.work, b.actor, now(), 0, '' FROM ev JOIN b ON b.digest = ev.digest
    ORDER BY ev.id
    RETURNING id, event_id
)
SELECT b.i, CASE WHEN b.i IN (SELECT i FROM refused) THEN 'conflict' WHEN ev.id IS NULL THEN 'duplicate'
                 ELSE 'stored' END, queued.id
FROM b LEFT JOIN ev ON ev.digest = b.digest LEFT JOIN queued ON queued.event_id = ev.id ORDER BY b.i
"""


def _conflict(item: _Item) -> Conflict:
    return Conflict(
        f"Run {item.event.run_id} belongs to another job.", fields={"run.runId": "belongs to another job"}
    )


def _store(items: list[_Item]) -> list[tuple[Ingested, int | None] | Conflict]:
    """The events and their queue rows, in one statement (the caller's transaction): each one's result and
    queue id, or Conflict. The same event twice in ``items`` is stored once; a run named with two jobs in
    ``items`` belongs to the first."""
    rows, seen, owners, early = [], set(), {}, {}
    for i, item in enumerate(items):
        event = item.event
        run = str(event.run_id) if event.run_id else None
        if item.digest in seen:
            early[i] = (Ingested("duplicate", event.kind, event.run_id), None)
            continue
        if run is not None and owners.setdefault(run, item.work["job"]) != item.work["job"]:
            early[i] = _conflict(item)
            continue
        seen.add(item.digest)
        namespace, name = event.job or ("", "")
        rows.append(
            {
                "i": i,
                "digest": item.digest,
                "kind": event.kind,
                "event_type": event.event_type,
                "event_time": event.event_time.isoformat(),
                "run_id": run,
                "producer": event.producer[:1024],
                "payload": item.body,
                "job": item.work["job"] or "",
                "job_ns": namespace,
                "job_name": name,
                "work": item.work,
                "actor": item.actor[:255],
            }
        )
    stored = {}
    if rows:
        for i, status, queued in execute_json(_STORE_SQL, orjson.dumps(rows).decode(), prepare=True):
            item = items[i]
            stored[i] = (
                _conflict(item)
                if status == "conflict"
                else (Ingested(status, item.event.kind, item.event.run_id), queued)
            )
    return [early[i] if i in early else stored[i] for i in range(len(items))]


def _store_many(items: list[_Item]) -> list[Ingested | BaseException]:
    """The store writer's batch: one statement (atomic alone: no transaction block around it). Should it fail,
    each event is stored alone, so that one event's error is that event's alone."""
    try:
        return [r if isinstance(r, BaseException) else r[0] for r in _store(items)]
    except Exception:  # noqa: BLE001 - retried one by one below, where each error reaches its caller
        if len(items) == 1:
            raise
        logger.info("lineage: storing %d events together failed; one by one", len(items), exc_info=True)
    results: list[Ingested | BaseException] = []
    for item in items:
        try:
            (result,) = _store([item])
            results.append(result if isinstance(result, BaseException) else result[0])
        except Exception as exc:  # noqa: BLE001 - handed to the request that sent this event
            results.append(exc)
    return results


_STORE: GroupCommit[_Item, Ingested] = GroupCommit(_store_many, name="lineage-store")


def _ingest_now(items: list[_Item]) -> list[Ingested | DictaMeshError]:
    """Store and apply ``items`` in one transaction (the caller's, if any)."""
    with transaction.atomic():
        stored = _store(items)
        queued = [r[1] for r in stored if not isinstance(r, BaseException) and r[1] is not None]
        applied = _apply(ids=queued)[0] if queued else {}
    results: list[Ingested | DictaMeshError] = []
    for item, r in zip(items, stored, strict=True):
        if isinstance(r, BaseException):
            results.append(r)
            continue
        result, queue_id = r
        if queue_id is not None:
            if queue_id not in applied:  # refused while applying: another job took the run meanwhile
                results.append(_conflict(item))
                continue
            result.run_state, result.new_datasets = applied[queue_id]
        results.append(result)
    return results


# -- applying ----------------------------------------------------------------------------------------------


def _apply(*, limit: int = BATCH, upto: int | None = None, ids: list[int] | None = None) -> tuple[dict, int]:
    """One batch off the queue, applied in the caller's transaction: the catalog of its new and changed
    datasets synced and one event published per applied event. Returns {queue id: (run state, new datasets)}
    of the applied events, and how many events the batch took off the queue (refused ones too)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT dictamesh_lineage_apply_pending(%s, %s, %s::bigint[], %s)",
            [limit, timezone.now(), ids, upto],
        )
        (raw,) = cursor.fetchone()
    done = raw if isinstance(raw, dict) else orjson.loads(raw)  # jsonb may come back as text
    for refused in done["refused"]:
        logger.warning(
            "lineage: event %s refused while applying: run %s belongs to another job",
            refused["e"],
            refused["run"],
        )
    applied = done["events"]
    taken = len(applied) + len(done["refused"])
    if not applied:
        return {}, taken
    created = set(done["created"])
    names = _dataset_keys(created)
    actors = {a["actor"] for a in applied}
    _sync_catalog(created | set(done["catalog"]), actor=actors.pop() if len(actors) == 1 else "")
    fresh = set(names.values())
    runs = {run: (state, datetime.fromisoformat(at)) for run, (state, at) in done["runs"].items()}
    results, changes = {}, []
    for a in applied:
        summary = a["summary"]
        new = sorted(k for k in summary["datasets"] if k in fresh)
        fresh.difference_update(new)
        state = ""
        if summary.get("state"):  # a RunEvent: the run's state once this event is applied
            run = summary["data"]["run_id"]
            mine = (summary["state"], datetime.fromisoformat(summary["data"]["event_time"]))
            before = runs.get(run)
            if before is None or (_rank(mine[0]), mine[1]) >= (_rank(before[0]), before[1]):
                runs[run] = mine
            state = runs[run][0]
        results[a["o"]] = (state, new)
        changes.append(
            Change(
                type=events.EVENT_INGESTED,
                subject=summary["subject"],
                data={**summary["data"], "run_state": state or None, "new_datasets": new},
                actor=a["actor"] or None,
                json_ready=True,
            )
        )
    publish_many(changes)
    return results, taken


def _locked(*, wait: bool) -> bool:
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK])
        return cursor.fetchone()[0]


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None) or getattr(exc, "sqlstate", None)


def _batch(*, upto: int | None, wait: bool) -> int | None:
    """Apply the next batch: how many queued events it took, or None when another process holds the applier
    lock (``wait`` False). A failing batch is applied event by event; an event that fails alone is set aside
    with its error (``failed_at``: the admin retries it), so that it never holds the queue up."""
    try:
        with transaction.atomic():
            if not _locked(wait=wait):
                return None
            return _apply(upto=upto)[1]
    except (DatabaseError, DictaMeshError, ValueError, KeyError, TypeError) as exc:
        logger.warning("lineage: a batch failed (%s); applying its events one by one", exc, exc_info=True)
    pending = PendingEvent.objects.filter(failed_at__isnull=True).order_by("pk")
    if upto is not None:
        pending = pending.filter(pk__lte=upto)
    taken = 0
    for pk in list(pending.values_list("pk", flat=True)[:BATCH]):
        try:
            with transaction.atomic():
                if not _locked(wait=wait):
                    return taken or None
                _apply(ids=[pk])
        except OperationalError as exc:
            if _sqlstate(exc) != "40P01":
                raise
            logger.info("lineage: deadlock applying queued event %s; it stays queued", pk)
            continue
        except (DatabaseError, DictaMeshError, ValueError, KeyError, TypeError) as exc:
            logger.error("lineage: queued event %s cannot be applied: %s", pk, exc, exc_info=True)
            PendingEvent.objects.filter(pk=pk).update(
                failed_at=timezone.now(), attempts=F("attempts") + 1, error=str(exc)[:4000]
            )
        taken += 1
    return taken


def apply_pending(*, upto: int | None = None, wait: bool = True) -> int | None:
    """Apply queued events, batch after batch, until none is left (none with an id up to ``upto``): how many
    were taken, or None when ``wait`` is False and another process is applying (it takes them)."""
    total = 0
    try:
        while True:
            taken = _batch(upto=upto, wait=wait)
            if taken is None:
                return total or None
            total += taken
            if taken < BATCH:
                return total
    finally:
        _vacuum_queue(total)


_VACUUM = {"applied": 0, "at": 0.0, "on": True}
VACUUM_EVERY = (
    5000  # events applied, in this process, between two vacuums of the queue (at most one a second)
)


def _vacuum_queue(applied: int) -> None:
    """Vacuum the queue once enough rows were deleted from it: each batch's scan for the oldest rows would
    otherwise step over every row deleted since the last vacuum (autovacuum looks at a table once a minute, by
    default: 60,000 dead rows at 1,000 events a second). Not inside a transaction; never fails the caller."""
    _VACUUM["applied"] += applied
    now = time.monotonic()
    if not _VACUUM["on"] or _VACUUM["applied"] < VACUUM_EVERY or now - _VACUUM["at"] < 1.0:
        return
    if connection.in_atomic_block:
        return
    _VACUUM["applied"], _VACUUM["at"] = 0, now
    try:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (SKIP_LOCKED) dictamesh_lineage_pending")
    except DatabaseError as exc:  # e.g. a role that does not own the table: autovacuum is left to do it
        _VACUUM["on"] = False
        logger.warning("lineage: cannot vacuum the queue (%s); relying on autovacuum", exc)


def catch_up() -> None:
    """Apply every event accepted before this call. Lineage reads call it first: a client that posted an event
    reads its effect (it waits for the applier's batch in progress, then applies what is left)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM dictamesh_lineage_pending WHERE failed_at IS NULL")
        (top,) = cursor.fetchone()
    if top is not None:
        apply_pending(upto=top, wait=True)


def pending_retry(*, ids: list[int]) -> int:
    """Queue again events set aside after failing alone (a steward fixed the cause), and apply them now: how
    many were queued again (those that fail again are set aside again, with the new error)."""
    count = PendingEvent.objects.filter(pk__in=ids, failed_at__isnull=False).update(failed_at=None, error="")
    if count:
        catch_up()
    return count


def _apply_in_background() -> bool:
    """The applier thread's pass: True to come back soon (another process holds the lock while events wait)."""
    return apply_pending(wait=False) is None


_APPLIER = Background(_apply_in_background, name="lineage-applier", gather=GATHER_SECONDS)
