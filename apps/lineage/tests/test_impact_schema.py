from __future__ import annotations

import json

import pytest

from apps.lineage.consumers import schema_registered
from apps.lineage.models import Node
from dictamesh.events.envelope import Event
from dictamesh.events.models import OutboxMessage
from tests.conftest import bearer

from .conftest import column_lineage, dataset, run_event

pytestmark = pytest.mark.django_db
SUBJECT = "orders-value"


def avro(*fields: tuple[str, str]) -> str:
    return json.dumps(
        {"type": "record", "name": "Order", "fields": [{"name": n, "type": t} for n, t in fields]}
    )


def register(client, token, schema: str):
    response = client.post(
        f"/schema-registry/subjects/{SUBJECT}/versions",
        data=json.dumps({"schema": schema}),
        content_type="application/vnd.schemaregistry.v1+json",
        **bearer(token),
    )
    assert response.status_code == 200, response.content


@pytest.fixture
def contract(client, user, token, ingest, settings):
    """Topic ``orders`` (its catalog entity has subject orders-value); report.amount_usd ← orders.amount."""
    orders = dataset("kafka://broker", "orders", [("id", "long"), ("amount", "double")])
    derived = column_lineage({"amount_usd": [("kafka://broker", "orders", "amount")]})
    report = dataset("warehouse", "report", [("amount_usd", "double")], columnLineage=derived)
    ingest(run_event("COMPLETE", "report", inputs=[orders], outputs=[report]))
    urn = Node.objects.get(name="orders").entity_urn
    user.is_staff = True  # linking a data contract is governed: it needs manage on the entity (a steward)
    user.save(update_fields=["is_staff"])
    response = client.patch(
        f"/api/v1/catalog/entities/{urn}",
        data={"schema_subject": SUBJECT},
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 200, response.content
    response = client.put(
        "/schema-registry/config",
        data=json.dumps({"compatibility": "NONE"}),
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 200, response.content
    register(client, token, avro(("id", "long"), ("amount", "double"), ("note", "string")))


def test_a_proposed_schema_shows_what_it_would_break(client, token, contract):
    proposed = avro(("id", "long"), ("note", "int"))  # amount removed, note retyped
    response = client.post(
        "/api/v1/lineage/impact",
        data={"subject": SUBJECT, "schema": proposed, "schemaType": "AVRO", "depth": 5},
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["changes"] == [
        {"field": "amount", "change": "removed", "before": "double", "after": None},
        {"field": "note", "change": "type_changed", "before": "string", "after": "int"},
    ]
    assert answer["source"] == ["dataset:kafka://broker:orders"]
    assert [f["id"] for f in answer["fields"]] == ["datasetField:warehouse:report:amount_usd"]
    assert [d["id"] for d in answer["datasets"]] == ["dataset:warehouse:report"]
    assert [j["id"] for j in answer["jobs"]] == ["job:airflow:report"]
    harmless = client.post(
        "/api/v1/lineage/impact",
        data={
            "subject": SUBJECT,
            "schema": avro(("id", "long"), ("amount", "double"), ("note", "string"), ("x", "int")),
        },
        content_type="application/json",
        **bearer(token),
    ).json()
    assert harmless["changes"] == [] and harmless["fields"] == []
    missing = client.post(
        "/api/v1/lineage/impact",
        data={"subject": "nope", "schema": proposed},
        content_type="application/json",
        **bearer(token),
    )
    assert missing.status_code == 404
    invalid = client.post(
        "/api/v1/lineage/impact", data={"subject": SUBJECT}, content_type="application/json", **bearer(token)
    )
    assert invalid.status_code == 400 and invalid.json()["fields"] == {"schema": "required"}


def _registered_event(version: int) -> Event:
    row = (
        OutboxMessage.objects.filter(type="dictamesh.schemas.subject.version_registered")
        .order_by("-id")
        .first()
    )
    assert row is not None and row.data["version"] == version
    return Event(type=row.type, source=row.source, subject=row.subject, data=row.data)


def test_registering_a_version_that_breaks_a_used_field_publishes_an_impact_event(client, token, contract):
    register(client, token, avro(("id", "long"), ("amount", "double"), ("note", "string"), ("extra", "int")))
    schema_registered(_registered_event(2))  # adds a field: nothing breaks
    assert not OutboxMessage.objects.filter(type="dictamesh.lineage.impact.detected").exists()
    register(client, token, avro(("id", "long"), ("note", "string")))
    schema_registered(_registered_event(3))
    impact = OutboxMessage.objects.get(type="dictamesh.lineage.impact.detected")
    assert impact.topic == "dictamesh.lineage.impact.v1" and impact.subject == SUBJECT
    assert impact.data["changes"] == [
        {"field": "amount", "change": "removed", "before": "double", "after": None}
    ]
    assert [d["id"] for d in impact.data["datasets"]] == ["dataset:warehouse:report"]
    assert [f["id"] for f in impact.data["fields"]] == ["datasetField:warehouse:report:amount_usd"]
