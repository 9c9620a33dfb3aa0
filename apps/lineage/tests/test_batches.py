"""Events applied together (the group-commit writer's batches): the same outcome as one after the other."""

from __future__ import annotations

import uuid

import pytest

from apps.lineage import services
from apps.lineage.models import DatasetField, DatasetVersion, Edge, LineageEvent, Node, Run
from dictamesh.errors import Conflict, ValidationError

from .conftest import column_lineage, dataset, run_event

pytestmark = pytest.mark.django_db


def test_a_batch_equals_the_events_one_after_the_other(caplog):
    run = str(uuid.uuid4())
    src, dst = dataset("pg", "src", [("a", "int")]), dataset("wh", "dst", [("a", "int")])
    start = run_event("START", "load", run_id=run, time="2026-11-26T10:00:00Z", inputs=[src], outputs=[dst])
    complete = run_event("COMPLETE", "load", run_id=run, time="2026-11-26T10:05:00Z",
                         outputs=[dataset("wh", "dst", [("a", "bigint"), ("b", "text")],
                                          documentation={"description": "Loaded."},
                                          columnLineage=column_lineage({"a": [("pg", "src", "a")]}))])  # fmt: skip
    results = services.ingest_many([start, complete, start, {"not": "an event"}])
    assert [r.status if isinstance(r, services.Ingested) else None for r in results] == [
        "stored", "stored", "duplicate", None
    ]  # fmt: skip
    assert isinstance(results[3], ValidationError)
    assert (
        sorted(results[0].new_datasets) == ["dataset:pg:src", "dataset:wh:dst"]
        and results[1].new_datasets == []
    )
    assert (results[0].run_state, results[1].run_state) == ("START", "COMPLETE")
    stored = Run.objects.get(run_id=run)
    assert (stored.state, stored.started_at.minute, stored.ended_at.minute) == ("COMPLETE", 0, 5)
    dst = Node.objects.get(name="dst")
    assert dst.version == 2 and dst.description == "Loaded."
    assert list(
        DatasetVersion.objects.filter(dataset=dst).order_by("version").values_list("version", flat=True)
    ) == [1, 2]
    assert dict(DatasetField.objects.filter(dataset=dst, removed_at__isnull=True).values_list("name", "type")) == {
        "a": "bigint", "b": "text"
    }  # fmt: skip
    assert Edge.objects.count() == 2 and LineageEvent.objects.count() == 2
    assert dst.entity_urn  # the catalog entity of each new dataset, once for the batch
    assert "one by one" not in caplog.text  # applied as one batch, not through the fallback


def test_a_refused_event_fails_alone_in_its_batch(caplog):
    taken = str(uuid.uuid4())
    services.ingest(run_event("START", "owner", run_id=taken))
    results = services.ingest_many(
        [run_event("COMPLETE", "a", outputs=[dataset("ns", "x")]), run_event("COMPLETE", "intruder", run_id=taken),
         run_event("COMPLETE", "b", outputs=[dataset("ns", "y")])]
    )  # fmt: skip
    assert isinstance(results[1], Conflict)
    assert results[0].status == results[2].status == "stored"
    assert Run.objects.get(run_id=taken).job.name == "owner"
    assert Node.objects.filter(name__in=["x", "y"]).count() == 2
    assert not Node.objects.filter(name="intruder").exists()
    assert LineageEvent.objects.count() == 3  # the first START, a and b: the refused event is not kept
    assert "one by one" not in caplog.text  # refused when stored: the batch needed no fallback
