"""The event log shows each caller no more than the catalog does: events of entities it may not read are
left out, states are masked, and the audit (who read what) is for stewards."""

from __future__ import annotations

import json

import pytest

from apps.governance.tests.helpers import EMAIL, gql, make_world, person, urn


@pytest.fixture
def world(db, client):
    make_world()
    steward = person("stella", staff=True)
    body = {"urn": urn("customers"), "path": "email", "pii_category": "email"}
    assert (
        client.post(
            "/api/v1/governance/fields", json.dumps(body), content_type="application/json", **steward
        ).status_code
        == 201
    )
    return steward


def test_the_log_hides_restricted_entities_masks_states_and_keeps_the_audit_for_stewards(world, client):
    alice = person("alice")
    assert client.get(f"/api/v1/catalog/entities/{urn('salaries')}", **alice).status_code == 404  # audited
    items = client.get("/api/v1/events", {"limit": 500}, **alice).json()["items"]
    subjects = {item["subject"] for item in items}
    assert urn("customers") in subjects and urn("salaries") not in subjects
    assert not any(urn("salaries") in item["subject"] for item in items)  # nor its relationships
    assert EMAIL not in json.dumps(items)
    customers = next(i for i in items if i["subject"] == urn("customers"))
    assert customers["after"]["properties"]["email"] == "j***@example.com"
    assert not any(i["type"].startswith("dictamesh.governance.") for i in items)
    steward_items = client.get("/api/v1/events", {"limit": 500}, **world).json()["items"]
    types = {i["type"] for i in steward_items}
    assert "dictamesh.governance.access.denied" in types and "dictamesh.governance.field.classified" in types
    salaries_event = next(
        i
        for i in client.get(
            "/api/v1/events", {"subject": urn("salaries")}, **person("root", superuser=True)
        ).json()["items"]
    )
    assert client.get(f"/api/v1/events/{salaries_event['id']}", **alice).status_code == 404
    graph = gql(client, "{ events(first: 500) { items { subject after } } }", alice)["data"]["events"][
        "items"
    ]
    assert urn("salaries") not in {i["subject"] for i in graph} and EMAIL not in json.dumps(graph)
