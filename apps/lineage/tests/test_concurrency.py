"""Concurrent events: the group-commit writer stores them together, the applier applies them in batches; one
refused event fails alone."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection

from apps.lineage import services
from apps.lineage.models import Edge, LineageEvent, Run
from dictamesh.errors import Conflict

from .conftest import dataset, run_event

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_events_share_transactions_and_one_refusal_stays_alone(settings):
    settings.DICTAMESH_LINEAGE_GROUP_COMMIT = True
    taken = str(uuid.uuid4())
    services.ingest(run_event("START", "owner_job", run_id=taken))
    bodies = [
        run_event(
            "COMPLETE",
            f"job{i % 5}",
            inputs=[dataset("pg", f"in{i}")],
            outputs=[dataset("pg", f"out{i % 5}")],
        )
        for i in range(40)
    ]
    bodies[17] = run_event("COMPLETE", "other_job", run_id=taken)  # the run belongs to owner_job: 409
    results: dict[int, object] = {}

    def send(i: int) -> None:
        try:
            results[i] = services.ingest(bodies[i])
        except Exception as exc:  # noqa: BLE001 - recorded for the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert isinstance(results[17], Conflict)
    services.catch_up()  # accepted; applied in the background, or now
    stored = [r for i, r in results.items() if i != 17]
    assert all(isinstance(r, services.Ingested) and r.status == "stored" for r in stored), stored
    assert LineageEvent.objects.count() == 40  # 39 and the first START
    assert Run.objects.get(run_id=taken).job.name == "owner_job"
    assert Edge.objects.filter(source__name="in3", target__name="job3").exists()
    assert Run.objects.filter(state="COMPLETE").count() == 39
