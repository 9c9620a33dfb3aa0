"""The schema registry under governance: the data contract of a restricted entity is restricted too —
hidden from subject lists, lookups, versions, ids, REST and GraphQL — and writes can be denied."""

from __future__ import annotations

import json

import pytest

from apps.catalog import public as catalog
from apps.governance.tests.helpers import gql, make_world, person, policy, urn

AVRO = json.dumps({"type": "record", "name": "Salary", "fields": [{"name": "amount", "type": "long"}]})
OPEN = json.dumps({"type": "record", "name": "Order", "fields": [{"name": "id", "type": "long"}]})
REGISTRY = "/schema-registry"


@pytest.fixture
def registry(db, client):
    make_world()
    root = person("root", superuser=True)
    ids = {}
    for subject, schema in (("payroll-value", AVRO), ("orders-value", OPEN)):
        response = client.post(
            f"{REGISTRY}/subjects/{subject}/versions", json.dumps({"schema": schema}),
            content_type="application/vnd.schemaregistry.v1+json", **root,
        )  # fmt: skip
        assert response.status_code == 200, response.content
        ids[subject] = response.json()["id"]
    catalog.entity_link_schema(urn=urn("salaries"), subject="payroll-value")
    return ids


def test_a_restricted_entity_s_contract_is_hidden(registry, client):
    alice = person("alice")
    assert client.get(f"{REGISTRY}/subjects", **alice).json() == ["orders-value"]
    missing = client.get(f"{REGISTRY}/subjects/payroll-value/versions", **alice)
    assert missing.status_code == 404 and missing.json()["error_code"] == 40401
    assert client.get(f"{REGISTRY}/subjects/payroll-value/versions/latest", **alice).status_code == 404
    lookup = client.post(
        f"{REGISTRY}/subjects/payroll-value", json.dumps({"schema": AVRO}),
        content_type="application/vnd.schemaregistry.v1+json", **alice,
    )  # fmt: skip
    assert lookup.status_code == 404 and lookup.json()["error_code"] == 40401
    by_id = client.get(f"{REGISTRY}/schemas/ids/{registry['payroll-value']}", **alice)
    assert by_id.status_code == 404 and by_id.json()["error_code"] == 40403
    assert (
        client.get(f"{REGISTRY}/schemas/ids/{registry['payroll-value']}/schema", **alice).status_code == 404
    )
    assert client.get(f"{REGISTRY}/schemas/ids/{registry['orders-value']}", **alice).status_code == 200
    assert [r["subject"] for r in client.get(f"{REGISTRY}/schemas", **alice).json()] == ["orders-value"]
    assert [s["subject"] for s in client.get("/api/v1/schemas/subjects", **alice).json()["subjects"]] == [
        "orders-value"
    ]
    assert client.get("/api/v1/schemas/subjects/payroll-value", **alice).status_code == 404
    data = gql(client, '{ schemaSubjects schemaSubject(name: "payroll-value") { subject } }', alice)["data"]
    assert data == {"schemaSubjects": ["orders-value"], "schemaSubject": None}
    # the owner of the entity (seeded policy) sees its contract
    olga = person("olga")
    assert client.get(f"{REGISTRY}/subjects/payroll-value/versions", **olga).json() == [1]
    assert client.get(f"{REGISTRY}/schemas/ids/{registry['payroll-value']}", **olga).status_code == 200


def test_writes_to_subjects_can_be_denied(registry, client):
    steward = person("stella", staff=True)
    alice = person("alice")
    policy(
        client, steward, name="frozen-orders", effect="deny", actors=["authenticated"], actions=["write"],
        resources=["schema"], condition="matchSubject('orders-*')",
    )  # fmt: skip
    refused = client.post(
        f"{REGISTRY}/subjects/orders-value/versions", json.dumps({"schema": OPEN}),
        content_type="application/vnd.schemaregistry.v1+json", **alice,
    )  # fmt: skip
    assert refused.status_code == 403 and refused.json()["error_code"] == 40301
    assert "frozen-orders" in refused.json()["message"]
    rest = client.post(
        "/api/v1/schemas/subjects/orders-value/versions", json.dumps({"schema": OPEN}),
        content_type="application/json", **alice,
    )  # fmt: skip
    assert rest.status_code == 403 and rest.json()["code"] == "permission_denied"
    fresh = client.post(
        f"{REGISTRY}/subjects/invoices-value/versions", json.dumps({"schema": OPEN}),
        content_type="application/vnd.schemaregistry.v1+json", **alice,
    )  # fmt: skip
    assert fresh.status_code == 200  # other subjects: allowed by default


def test_a_subject_names_only_the_linked_entities_its_reader_may_see(registry, client):
    """A subject readable through one entity (olga owns salaries) names no other entity she may not read
    (bob's restricted bonuses, linked to the same contract); a steward sees both."""
    catalog.entities_upsert(
        items=[{"source": "crm", "type": "table", "source_key": "bonuses", "name": "bonuses", "domain": "finance",
                "classification": "restricted", "owners": [{"principal": "user:bob", "role": "business"}]}]
    )  # fmt: skip
    catalog.entity_link_schema(urn=urn("bonuses"), subject="payroll-value")
    olga, root = person("olga"), person("root", superuser=True)
    assert client.get(f"/api/v1/catalog/entities/{urn('bonuses')}", **olga).status_code == 404
    seen = client.get("/api/v1/schemas/subjects/payroll-value", **olga)
    assert seen.status_code == 200 and seen.json()["entities"] == [urn("salaries")]
    query = '{ schemaSubject(name: "payroll-value") { entities } }'
    assert gql(client, query, olga)["data"]["schemaSubject"]["entities"] == [urn("salaries")]
    everything = client.get("/api/v1/schemas/subjects/payroll-value", **root).json()["entities"]
    assert sorted(everything) == [urn("bonuses"), urn("salaries")]
