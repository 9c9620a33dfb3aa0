"""Hole 1: a writer cannot raise its own rights. Changing what policies decide by (owners, domain,
classification, tags, the schema subject, confirmed sensitive values) needs ``manage`` on the entity, on
every write path; owners are never silently replaced by a plain writer."""

from __future__ import annotations

import json

import pytest

from apps.governance.tests.helpers import CARD, gql, person, urn
from apps.governance.tests.test_masking import classify
from dictamesh.events.models import EventLog

CUSTOMERS = urn("customers")
ME = [{"principal": "user:alice", "role": "technical"}]


@pytest.fixture
def classified(world, client):
    steward = person("stella", staff=True)
    classify(client, steward, "card", "credit_card", "restricted")
    return steward


def _patch(client, headers, changes):
    return client.patch(
        f"/api/v1/catalog/entities/{CUSTOMERS}",
        json.dumps(changes),
        content_type="application/json",
        **headers,
    )


def _state(client, headers):
    return client.get(f"/api/v1/catalog/entities/{CUSTOMERS}", **headers).json()


@pytest.mark.parametrize(
    "changes",
    [
        {"owners": ME},
        {"classification": "public"},
        {"domain": "finance"},
        {"tags": ["gold"]},
        {"schema_subject": "customers-value"},
        {"properties": {"email": "x@example.com", "card": "4242 4242 4242 4242", "segment": "retail"}},
    ],
    ids=["owners", "classification", "domain", "tags", "subject", "sensitive-value"],
)
def test_rest_patch_of_governed_attributes_needs_manage(classified, client, world, changes):
    before = _state(client, world["root"])
    response = _patch(client, world["alice"], changes)
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "permission_denied" and body["fields"]
    after = _state(client, world["root"])
    assert after == before  # nothing of it written
    shown = _state(client, world["alice"])
    assert shown["properties"]["card"] != CARD and "card" in shown["masked_fields"]


def test_a_plain_write_still_goes_through(classified, client, world):
    response = _patch(client, world["alice"], {"description": "Customers, reviewed"})
    assert response.status_code == 200, response.content
    assert _state(client, world["root"])["description"] == "Customers, reviewed"


def test_graphql_and_bulk_writes_cannot_self_assign(classified, client, world):
    data = gql(
        client,
        "mutation($urn: String!, $c: EntityChangesInput!) { updateEntity(urn: $urn, changes: $c) { status } }",
        world["alice"],
        {"urn": CUSTOMERS, "c": {"owners": ME}},
    )
    assert data.get("errors"), data
    assert data["errors"][0]["extensions"]["code"] == "permission_denied"

    bulk = client.post(
        "/api/v1/catalog/entities/bulk",
        json.dumps({"entities": [{"urn": CUSTOMERS, "source": "crm", "type": "table", "source_key": "customers",
                                  "name": "customers", "domain": "sales", "owners": ME}]}),
        content_type="application/json",
        **world["alice"],
    )  # fmt: skip
    assert bulk.status_code in (200, 207), bulk.content
    items = bulk.json()["results"]
    assert items[0]["status"] == "error" and items[0]["error"]["code"] == "permission_denied"
    assert _state(client, world["root"])["owners"] == []
    assert _state(client, world["alice"])["properties"]["card"] != CARD


def test_a_steward_changes_owners_and_the_change_is_in_the_event_log(classified, client, world):
    response = _patch(client, classified, {"owners": ME})
    assert response.status_code == 200, response.content
    event = EventLog.objects.filter(subject=CUSTOMERS, type="dictamesh.catalog.entity.updated").latest("id")
    assert event.actor == "user:stella"
    assert "owners" in event.data["changed_fields"]
    assert event.before["owners"] == [] and event.after["owners"] == ME
    # now alice owns it, and the seeded policy lets her read her own data
    assert _state(client, world["alice"])["properties"]["card"] == CARD


def test_owners_are_added_and_removed_by_name_not_replaced(classified, client, world):
    olga = [{"principal": "user:olga", "role": "business"}]
    assert _patch(client, classified, {"owners": olga}).status_code == 200
    response = _patch(client, classified, {"owners_add": ME})  # the answer is the entity as it is now
    assert response.status_code == 200, response.content
    assert response.json()["owners"] == sorted(olga + ME, key=lambda o: o["principal"])
    assert _patch(client, world["alice"], {"owners_remove": [{"principal": "user:olga"}]}).status_code == 403
    response = _patch(client, classified, {"owners_remove": [{"principal": "user:olga"}]})
    assert response.status_code == 200 and response.json()["owners"] == ME
    data = gql(
        client,
        "mutation($urn: String!, $c: EntityChangesInput!) {"
        " updateEntity(urn: $urn, changes: $c) { entity { owners { principal } } } }",
        classified,
        {"urn": CUSTOMERS, "c": {"ownersAdd": [{"principal": "user:olga", "role": "business"}]}},
    )
    owners = data["data"]["updateEntity"]["entity"]["owners"]
    assert sorted(o["principal"] for o in owners) == ["user:alice", "user:olga"]


def test_the_catalog_s_structure_is_stewards_to_change(db, client):
    """A domain or a source system is the catalog's structure (entities, adapters and policies name them):
    a plain token holder may not create one, on REST or GraphQL; a steward may, and so may a user a policy
    allows."""
    from apps.catalog.models import Domain, SourceSystem

    alice, stella = person("alice"), person("stella", staff=True)
    for path, body in (("/api/v1/catalog/domains", {"name": "shadow"}),
                       ("/api/v1/catalog/sources", {"name": "shadow", "kind": "postgres"})):  # fmt: skip
        refused = client.post(path, json.dumps(body), content_type="application/json", **alice)
        assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    mutation = 'mutation { createDomain(name: "shadow2") { name } createSource(name: "shadow2", kind: "x") { name } }'
    answer = gql(client, mutation, alice)
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"permission_denied"}
    assert not Domain.objects.filter(name__startswith="shadow").exists()
    assert not SourceSystem.objects.filter(name__startswith="shadow").exists()

    assert client.post("/api/v1/catalog/domains", json.dumps({"name": "shadow"}), content_type="application/json",
                       **stella).status_code == 201  # fmt: skip
    root = person("root", superuser=True)
    policy = {"name": "alice-domains", "effect": "allow", "actors": ["user:alice"], "actions": ["manage"],
              "resources": ["domain"]}  # fmt: skip
    assert client.post("/api/v1/governance/policies", json.dumps(policy), content_type="application/json",
                       **root).status_code == 201  # fmt: skip
    assert gql(client, 'mutation { createDomain(name: "alices") { name } }', alice)["data"] == {
        "createDomain": {"name": "alices"}
    }
