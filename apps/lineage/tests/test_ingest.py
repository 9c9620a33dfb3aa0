from __future__ import annotations

import gzip
import uuid

import orjson
import pytest

from apps.catalog import public as catalog
from apps.lineage.models import ColumnEdge, DatasetField, DatasetVersion, Edge, LineageEvent, Node, Run
from dictamesh.events.models import OutboxMessage

from .conftest import column_lineage, dataset, post, run_event

pytestmark = pytest.mark.django_db


def test_a_run_event_stores_the_job_the_datasets_the_edges_and_the_run(ingest):
    run_id = str(uuid.uuid4())
    body = run_event(
        "START",
        "etl.load_orders",
        run_id=run_id,
        inputs=[dataset("postgres://db:5432", "shop.public.orders", [("id", "int"), ("amount", "numeric")])],
        outputs=[dataset("s3://lake", "staged/orders")],
    )
    answer = ingest(body)
    assert answer == {"status": "stored", "kind": "RunEvent", "runId": run_id}
    job = Node.objects.get(kind="job", name="etl.load_orders")
    orders = Node.objects.get(kind="dataset", name="shop.public.orders")
    staged = Node.objects.get(kind="dataset", name="staged/orders")
    assert set(Edge.objects.values_list("source_id", "target_id")) == {
        (orders.pk, job.pk),
        (job.pk, staged.pk),
    }
    run = Run.objects.get(run_id=run_id)
    assert (run.job_id, run.state, run.started_at.isoformat()) == (
        job.pk,
        "START",
        "2026-11-26T10:00:00+00:00",
    )
    assert [f.name for f in DatasetField.objects.filter(dataset=orders).order_by("ordinal")] == [
        "id",
        "amount",
    ]
    # each dataset is a catalog entity, created on first sight and linked
    assert orders.entity_urn == "dm:openlineage:dataset:postgres://db:5432/shop.public.orders"
    ref = catalog.entity_ref(urn=orders.entity_urn)
    assert ref is not None and ref.domain == "lineage" and ref.name == "shop.public.orders"
    # and the event is on the outbox
    outbox = OutboxMessage.objects.filter(type="dictamesh.lineage.graph.event_ingested").get()
    assert outbox.subject == run_id
    assert outbox.data["inputs"] == ["dataset:postgres://db:5432:shop.public.orders"]
    assert (outbox.data["run_state"], outbox.data["new_datasets"]) == (
        "START",
        ["dataset:postgres://db:5432:shop.public.orders", "dataset:s3://lake:staged/orders"],
    )


def test_the_same_event_twice_is_stored_once(ingest):
    body = run_event("COMPLETE", "job", inputs=[dataset("ns", "a")], outputs=[dataset("ns", "b")])
    assert ingest(body)["status"] == "stored"
    again = ingest(
        orjson.loads(orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
    )  # same event, keys reordered
    assert again["status"] == "duplicate"
    assert LineageEvent.objects.count() == 1
    assert Edge.objects.count() == 2
    assert OutboxMessage.objects.filter(type="dictamesh.lineage.graph.event_ingested").count() == 1


def test_out_of_order_events_end_in_the_right_state(ingest):
    run_id = str(uuid.uuid4())
    ingest(run_event("COMPLETE", "job", run_id=run_id, time="2026-11-26T10:05:00Z"))
    ingest(run_event("RUNNING", "job", run_id=run_id, time="2026-11-26T10:03:00Z"))
    ingest(run_event("START", "job", run_id=run_id, time="2026-11-26T10:00:00Z"))
    run = Run.objects.get(run_id=run_id)
    assert run.state == "COMPLETE"
    assert run.started_at.isoformat() == "2026-11-26T10:00:00+00:00"
    assert run.ended_at.isoformat() == "2026-11-26T10:05:00+00:00"
    # in order, the later non-terminal state wins
    other = str(uuid.uuid4())
    ingest(run_event("START", "job", run_id=other, time="2026-11-26T11:00:00Z"))
    ingest(run_event("RUNNING", "job", run_id=other, time="2026-11-26T11:01:00Z"))
    assert Run.objects.get(run_id=other).state == "RUNNING"
    ingest(run_event("FAIL", "job", run_id=other, time="2026-11-26T11:02:00Z"))
    assert Run.objects.get(run_id=other).state == "FAIL"


def test_gzip_bodies_zoneless_and_nanosecond_times_missing_schema_url_and_1x_events(ingest):
    body = run_event("START", "job", time="2026-11-26T10:00:00.123456789")
    del body["schemaURL"]
    ingest(body, gzipped=True)
    run = Run.objects.get(run_id=body["run"]["runId"])
    assert run.started_at.isoformat() == "2026-11-26T10:00:00.123456+00:00"
    shifted = run_event("START", "job", time="2026-11-26T12:00:00+02:00")
    ingest(shifted)
    assert (
        Run.objects.get(run_id=shifted["run"]["runId"]).started_at.isoformat() == "2026-11-26T10:00:00+00:00"
    )
    legacy = run_event("START", "job")  # a 1-0-x event: no eventType, an old schemaURL
    del legacy["eventType"]
    legacy["schemaURL"] = "https://openlineage.io/spec/1-0-5/OpenLineage.json#/definitions/RunEvent"
    ingest(legacy)
    assert Run.objects.get(run_id=legacy["run"]["runId"]).state == "OTHER"


def test_dataset_and_job_events_and_unknown_facets_are_kept(ingest):
    ingest(
        {
            "eventTime": "2026-11-26T10:00:00Z",
            "producer": "test",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
            "dataset": dataset("ns", "static", [("a", "string")], customThing={"x": [1, 2]}),
        }
    )
    static = Node.objects.get(name="static")
    assert static.facets["customThing"] == {"x": [1, 2]}
    ingest(
        {
            "eventTime": "2026-11-26T10:00:00Z",
            "producer": "test",
            "job": {
                "namespace": "ns",
                "name": "designed",
                "facets": {"jobType": {"jobType": "QUERY", "integration": "DBT"}},
            },
            "inputs": [dataset("ns", "static")],
            "outputs": [dataset("ns", "derived")],
        }
    )
    job = Node.objects.get(kind="job", name="designed")
    assert job.job_type == "QUERY"
    assert Edge.objects.filter(source=static, target=job).exists()
    assert not Run.objects.exists()


def test_schema_facets_version_the_fields_and_update_the_catalog(ingest, client):
    ns = "postgres://db:5432"
    ingest(run_event("COMPLETE", "j", outputs=[dataset(ns, "t", [("id", "int"), ("name", "text")])]))
    node = Node.objects.get(name="t")
    assert node.version == 1
    ingest(run_event("COMPLETE", "j", outputs=[dataset(ns, "t", [("id", "int"), ("name", "text")])]))
    assert Node.objects.get(pk=node.pk).version == 1  # same schema: no new version
    ingest(run_event("COMPLETE", "j", outputs=[dataset(ns, "t", [("id", "bigint"), ("email", "text")])]))
    node.refresh_from_db()
    assert node.version == 2
    assert DatasetVersion.objects.get(dataset=node, version=2).fields == [
        {"name": "id", "type": "bigint", "description": ""},
        {"name": "email", "type": "text", "description": ""},
    ]
    live = dict(
        DatasetField.objects.filter(dataset=node, removed_at__isnull=True).values_list("name", "type")
    )
    assert live == {"id": "bigint", "email": "text"}
    assert DatasetField.objects.get(dataset=node, name="name").removed_at is not None
    entity = catalog.entity_ref(urn=node.entity_urn)
    assert entity is not None
    stored = client.get(f"/api/v1/catalog/entities/{node.entity_urn}").json()
    assert stored["properties"]["lineage"]["fields"] == [
        {"name": "id", "type": "bigint"},
        {"name": "email", "type": "text"},
    ]


def test_documentation_and_ownership_fill_the_catalog_only_where_empty(ingest, token, client):
    facets = {
        "documentation": {"description": "Orders as loaded."},
        "ownership": {"owners": [{"name": "user:alice", "type": "MAINTAINER"}, {"name": "team:sales"}]},
        "dataSource": {"name": "shopdb", "uri": "postgres://db:5432/shop"},
    }
    ingest(run_event("COMPLETE", "j", outputs=[dataset("ns", "orders", **facets)]))
    node = Node.objects.get(name="orders")
    assert node.source_name == "shopdb"
    ref = catalog.entity_ref(urn=node.entity_urn)
    assert ref.owners == ("group:sales", "user:alice")
    from tests.conftest import bearer  # noqa: PLC0415

    response = client.patch(
        f"/api/v1/catalog/entities/{node.entity_urn}",
        data={"description": "Written by a steward."},
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 200, response.content
    later = {
        "documentation": {"description": "Something else."},
        "ownership": {"owners": [{"name": "user:bob"}]},
    }
    ingest(run_event("COMPLETE", "j", outputs=[dataset("ns", "orders", **later)]))
    shown = client.get(f"/api/v1/catalog/entities/{node.entity_urn}").json()
    assert shown["description"] == "Written by a steward."
    assert [o["principal"] for o in shown["owners"]] == ["group:sales", "user:alice"]


def test_column_lineage_facets_become_column_edges(ingest):
    out = dataset(
        "warehouse",
        "mart.revenue",
        [("total", "numeric"), ("day", "date")],
        columnLineage=column_lineage(
            {
                "total": [("pg", "orders", "amount"), ("pg", "refunds", "amount")],
                "day": [("pg", "orders", "created_at")],
            },
            transformationDescription="sum by day",
        ),
    )
    ingest(run_event("COMPLETE", "build_revenue", inputs=[dataset("pg", "orders")], outputs=[out]))
    edges = {
        (e.input.dataset.name, e.input.name, e.output.name, e.transformation_type, e.job.name)
        for e in ColumnEdge.objects.select_related("input__dataset", "output", "job")
    }
    assert edges == {
        ("orders", "amount", "total", "DIRECT", "build_revenue"),
        ("refunds", "amount", "total", "DIRECT", "build_revenue"),
        ("orders", "created_at", "day", "DIRECT", "build_revenue"),
    }
    assert Node.objects.filter(kind="dataset", name="refunds").exists()  # named only by column lineage


def _event(**changes) -> bytes:
    body = {"eventTime": "2026-11-26T10:00:00Z", "producer": "p", "run": {"runId": str(uuid.uuid4())},
            "job": {"namespace": "n", "name": "j"}}  # fmt: skip
    body.update(changes)
    return orjson.dumps({k: v for k, v in body.items() if v is not None})


BAD_SCHEMA = run_event("START", "j", outputs=[dataset("n", "d", schema={"fields": [{"type": "int"}]})])


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (b"{not json", "invalid_json", None),
        (b"[]", "invalid_event", None),
        (_event(run={"runId": "x"}), "invalid_event", "$['run']['runId']"),
        (_event(job={"namespace": "n"}), "invalid_event", "$['job']"),
        (_event(eventTime="2026-13-45T10:00:00Z"), "invalid_event", "eventTime"),
        (_event(eventType="DONE"), "invalid_event", "$['eventType']"),
        (orjson.dumps(BAD_SCHEMA), "invalid_event", "outputs[0].facets.schema['fields'][0]"),
    ],
)
def test_invalid_events_answer_400_with_the_reason_and_store_nothing(client, token, body, code, field):
    response = post(client, token, body)
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["code"] == code
    assert answer["message"]
    if field:
        assert field in answer.get("fields", {}), answer
    assert not LineageEvent.objects.exists() and not Node.objects.exists()


def test_oversize_bodies_and_gzip_bombs_answer_413(client, token, settings):
    settings.DICTAMESH_LINEAGE_MAX_BODY_BYTES = 2048
    big = run_event("START", "j", job_facets={"documentation": {"description": "x" * 5000}})
    response = post(client, token, big)
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
    bomb = gzip.compress(orjson.dumps(big))
    assert len(bomb) < 2048
    response = client.post(
        "/api/v1/lineage", data=bomb, content_type="application/json", HTTP_CONTENT_ENCODING="gzip",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert response.status_code == 413
    response = client.post(
        "/api/v1/lineage", data=b"not gzip", content_type="application/json", HTTP_CONTENT_ENCODING="gzip",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert response.status_code == 400 and response.json()["code"] == "invalid_encoding"
    assert not LineageEvent.objects.exists()


def test_writes_need_a_token(client):
    response = client.post(
        "/api/v1/lineage", data=orjson.dumps(run_event("START", "j")), content_type="application/json"
    )
    assert response.status_code == 401


def test_a_run_id_of_another_job_is_a_conflict_and_stores_nothing(ingest, client, token):
    run_id = str(uuid.uuid4())
    ingest(run_event("START", "owner", run_id=run_id))
    response = post(
        client, token, run_event("COMPLETE", "intruder", run_id=run_id, outputs=[dataset("ns", "x")])
    )
    assert response.status_code == 409
    assert response.json()["fields"] == {"run.runId": "belongs to another job"}
    assert Run.objects.get(run_id=run_id).state == "START"
    assert not Node.objects.filter(name__in=["intruder", "x"]).exists()
    assert LineageEvent.objects.count() == 1
