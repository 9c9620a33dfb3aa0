"""Events accepted at once and applied in batches: a batch is as if its events came one after the other, a
client reads what it wrote, an event another job's run took meanwhile is refused, a poison event is set aside
and the rest applied."""

from __future__ import annotations

import time
import uuid

import pytest
from django.db import transaction

from apps.lineage import ingestion, services
from apps.lineage.models import DatasetVersion, LineageEvent, Node, PendingEvent, Run
from dictamesh.events.models import OutboxMessage

from .conftest import dataset, post, run_event


def queue(*bodies: dict) -> list[int]:
    """Store events without applying them (as the HTTP path does): their queue ids."""
    with transaction.atomic():
        stored = ingestion._store([ingestion._item(body, "user:test") for body in bodies])
    return [queued for _, queued in stored]


@pytest.mark.django_db
def test_a_batch_applies_its_events_as_if_one_after_the_other():
    run = str(uuid.uuid4())
    start = run_event(
        "START",
        "load",
        run_id=run,
        time="2026-11-26T10:00:00Z",
        outputs=[dataset("wh", "t", [("a", "int")], documentation={"description": "first"})],
    )
    complete = run_event(
        "COMPLETE",
        "load",
        run_id=run,
        time="2026-11-26T10:05:00Z",
        outputs=[dataset("wh", "t", [("a", "bigint")], documentation={"description": "second"})],
    )
    back = run_event("COMPLETE", "load", time="2026-11-26T10:06:00Z",
                     outputs=[dataset("wh", "t", [("a", "int")], documentation={"description": "first"})])  # fmt: skip
    queue(start, complete, back)
    assert PendingEvent.objects.count() == 3 and not Run.objects.exists()  # accepted, not applied yet
    assert services.apply_pending() == 3
    assert not PendingEvent.objects.exists()
    stored = Run.objects.get(run_id=run)
    assert (stored.state, stored.started_at.minute, stored.ended_at.minute) == ("COMPLETE", 0, 5)
    table = Node.objects.get(name="t")
    assert table.description == "first"  # the last event's facets win, though the batch's first had them too
    assert list(DatasetVersion.objects.filter(dataset=table).order_by("version").values_list("fields", flat=True)) == [
        [{"name": "a", "type": "int", "description": ""}],
        [{"name": "a", "type": "bigint", "description": ""}],
        [{"name": "a", "type": "int", "description": ""}],
    ]  # fmt: skip
    published = OutboxMessage.objects.filter(type="dictamesh.lineage.graph.event_ingested").order_by("id")
    assert [(m.data["run_state"], m.data["new_datasets"]) for m in published] == [
        ("START", ["dataset:wh:t"]),  # each event's own outcome, though they were applied together
        ("COMPLETE", []),
        ("COMPLETE", []),
    ]
    assert {m.actor for m in published} == {"user:test"}


@pytest.mark.django_db
def test_out_of_order_events_in_one_batch_end_in_the_right_state():
    run = str(uuid.uuid4())
    queue(
        run_event("COMPLETE", "job", run_id=run, time="2026-11-26T10:05:00Z"),
        run_event("RUNNING", "job", run_id=run, time="2026-11-26T10:03:00Z"),
        run_event("START", "job", run_id=run, time="2026-11-26T10:00:00Z"),
    )
    services.apply_pending()
    stored = Run.objects.get(run_id=run)
    assert (stored.state, stored.started_at.minute, stored.ended_at.minute) == ("COMPLETE", 0, 5)
    published = OutboxMessage.objects.filter(type="dictamesh.lineage.graph.event_ingested").order_by("id")
    assert [m.data["run_state"] for m in published] == ["COMPLETE", "COMPLETE", "COMPLETE"]


@pytest.mark.django_db
def test_a_run_another_job_took_meanwhile_is_refused_when_applied(caplog):
    run = str(uuid.uuid4())
    (first,) = queue(run_event("START", "owner", run_id=run))
    intruder = ingestion._item(
        run_event("COMPLETE", "intruder", run_id=run, outputs=[dataset("ns", "x")]), ""
    )
    # as if another process had stored it at the same moment: past the store's check
    event = LineageEvent.objects.create(
        digest=intruder.digest,
        kind="RunEvent",
        event_type="COMPLETE",
        event_time=intruder.event.event_time,
        run_id=run,
        payload=intruder.body,
    )
    PendingEvent.objects.create(event_id=event.pk, run_id=run, job=intruder.work["job"], work=intruder.work)
    assert services.apply_pending() == 2  # both taken off the queue: one applied, one refused
    assert Run.objects.get(run_id=run).job.name == "owner"
    assert not Node.objects.filter(name__in=["intruder", "x"]).exists()
    assert not LineageEvent.objects.filter(pk=event.pk).exists()  # the refused event is not kept
    assert "belongs to another job" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_an_event_that_cannot_be_applied_is_set_aside_and_the_others_are_applied(caplog):
    good, bad = run_event("START", "good"), run_event("START", "bad")
    good_id, bad_id = queue(good, bad)
    work = PendingEvent.objects.get(pk=bad_id).work
    work["event_time"] = "not a time"  # what a bug in normalisation would leave: the database refuses it
    PendingEvent.objects.filter(pk=bad_id).update(work=work)
    services.apply_pending()
    assert Run.objects.filter(job__name="good").exists()
    aside = PendingEvent.objects.get()
    assert (aside.pk, aside.attempts) == (bad_id, 1) and aside.failed_at is not None
    assert "invalid input syntax" in aside.error
    services.catch_up()  # a set-aside event does not hold reads (or the queue) up
    PendingEvent.objects.filter(pk=bad_id).update(work={**work, "event_time": "2026-11-26T10:00:00Z"})
    assert services.pending_retry(ids=[bad_id]) == 1  # the admin's retry, once the cause is fixed
    assert not PendingEvent.objects.exists() and Run.objects.filter(job__name="bad").exists()


@pytest.mark.django_db(transaction=True)
def test_a_client_reads_what_it_wrote_and_the_applier_catches_up_alone(client, token):
    run = str(uuid.uuid4())
    assert post(client, token, run_event("START", "etl", run_id=run)).status_code == 201
    assert post(client, token, run_event("COMPLETE", "etl", run_id=run)).status_code == 201
    answer = client.get(f"/api/v1/jobs/runs/{run}")  # catches up first, whatever the applier has done
    assert answer.status_code == 200 and answer.json()["state"] == "COMPLETED"  # Marquez says so
    later = str(uuid.uuid4())
    post(client, token, run_event("START", "etl", run_id=later))
    deadline = time.monotonic() + 20
    while PendingEvent.objects.exists() and time.monotonic() < deadline:  # nobody reads: the applier's thread
        time.sleep(0.05)
    assert not PendingEvent.objects.exists()
    assert Run.objects.get(run_id=later).state == "START"


@pytest.mark.django_db(transaction=True)
def test_concurrent_appliers_apply_each_event_once():
    import threading

    queue(*[run_event("COMPLETE", f"job{i}", outputs=[dataset("ns", f"out{i}")]) for i in range(40)])
    errors = []

    def apply() -> None:
        from django.db import connection

        try:
            services.apply_pending(wait=True)
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=apply) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert Run.objects.count() == 40 and not PendingEvent.objects.exists()
    assert OutboxMessage.objects.filter(type="dictamesh.lineage.graph.event_ingested").count() == 40


@pytest.mark.django_db
def test_the_store_statement_is_prepared_once_per_connection():
    from django.db import connection

    queue(run_event("START", "a"))
    queue(run_event("START", "b"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements"
            " WHERE statement LIKE '%%INSERT INTO dictamesh_lineage_pending%%'"
        )
        assert cursor.fetchone()[0] == 1  # parsed and planned once, executed twice


@pytest.mark.django_db(transaction=True)
def test_the_applier_vacuums_its_queue(monkeypatch):
    from django.db import connection

    def vacuums() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'dictamesh_lineage_pending'"
            )
            return cursor.fetchone()[0]

    before = vacuums()
    monkeypatch.setattr(ingestion, "VACUUM_EVERY", 2)
    monkeypatch.setitem(ingestion._VACUUM, "at", 0.0)
    monkeypatch.setitem(ingestion._VACUUM, "applied", 0)
    queue(run_event("START", "a"), run_event("START", "b"))
    services.apply_pending()
    deadline = time.monotonic() + 10  # statistics reach other sessions within a second or so
    while vacuums() == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert vacuums() == before + 1


@pytest.mark.django_db
def test_an_edge_seen_again_within_the_hour_is_not_rewritten():
    from datetime import timedelta

    from apps.lineage.models import Edge

    body = lambda: run_event("COMPLETE", "load", inputs=[dataset("pg", "raw")])  # noqa: E731 - a new run each time
    queue(body())
    services.apply_pending()
    half_an_hour_ago = Edge.objects.get().last_seen_at - timedelta(minutes=30)
    Edge.objects.update(last_seen_at=half_an_hour_ago)
    queue(body())
    services.apply_pending()
    assert Edge.objects.get().last_seen_at == half_an_hour_ago  # seen within the hour: left alone
    first = half_an_hour_ago + timedelta(minutes=30)
    Edge.objects.update(last_seen_at=first - timedelta(hours=2))
    queue(body())
    services.apply_pending()
    assert Edge.objects.get().last_seen_at > first - timedelta(hours=2)
