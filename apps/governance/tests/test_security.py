"""Hostile input through every read path: never a 500, never restricted data; bad values are 400s."""

from __future__ import annotations

import json

import pytest

from apps.governance.tests.helpers import gql, make_world, person, urn

PAYLOADS = [
    "' OR 1=1 --",
    "salaries'); DROP TABLE dictamesh_catalog_entity; --",
    "%' OR classification='restricted",
    "\\x00\\u0000",
    "payroll* | salaries & !x",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "a" * 600,
]


@pytest.fixture
def alice(db):
    make_world()
    return person("alice")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_search_and_filters_take_any_text_safely(alice, client, payload):
    for mode in ("fulltext", "hybrid", "semantic"):
        response = client.get("/api/v1/catalog/search", {"q": payload, "mode": mode}, **alice)
        assert response.status_code in (200, 400), response.content
        assert "salaries" not in response.content.decode().lower().replace(payload.lower(), "")
    for name in ("domain", "type", "tag", "owner", "source"):
        response = client.get("/api/v1/catalog/entities", {name: payload}, **alice)
        assert response.status_code in (200, 400) and urn("salaries") not in response.content.decode()
    assert client.get("/api/v1/catalog/entities", {"classification": payload}, **alice).status_code == 400
    assert client.get("/api/v1/catalog/entities", {"sort": payload}, **alice).status_code == 400
    assert client.get("/api/v1/catalog/entities", {"cursor": payload}, **alice).status_code == 400
    data = gql(
        client,
        "query($q: String!) { search(query: $q) { total hits { entity { urn } } } }",
        alice,
        {"q": payload},
    )
    assert urn("salaries") not in json.dumps(data)


def test_restricted_filter_values_are_not_a_side_channel(alice, client):
    found = client.get(
        "/api/v1/catalog/search", {"classification": "restricted", "q": "salaries"}, **alice
    ).json()
    assert found["total"] == 0 and found["items"] == []
    assert client.get("/api/v1/catalog/entities", {"owner": "user:olga"}, **alice).json()["items"] == []
    facets = client.get("/api/v1/catalog/search", {"domain": "finance"}, **alice).json()
    assert facets["total"] == 0 and facets["facets"]["owner"] == []


def test_policy_conditions_are_never_run_as_code(db, client):
    steward = person("stella", staff=True)
    for condition in (
        "__import__('os').system('true')",
        "resource.__dict__",
        "eval('1')",
        "hasDomain('a') or 1",
    ):
        body = {
            "name": "x",
            "effect": "allow",
            "actors": ["*"],
            "actions": ["read"],
            "resources": ["*"],
            "condition": condition,
        }
        response = client.post(
            "/api/v1/governance/policies", json.dumps(body), content_type="application/json", **steward
        )
        assert response.status_code == 400 and "condition" in response.json()["fields"], condition


def test_graphql_introspection_shows_types_not_values(alice, client):
    data = gql(client, '{ __type(name: "Entity") { fields { name } } }', alice)["data"]["__type"]["fields"]
    assert "properties" in {f["name"] for f in data}
    assert "jane.doe" not in json.dumps(data)
