"""DictaMesh's own registry API (/api/v1/schemas): subjects, versions, checks, diffs, migration scripts,
and subjects as catalog entities' data contracts (also seen from the entity in GraphQL)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from apps.schemas.tests.conftest import field, record
from tests.conftest import bearer

pytestmark = pytest.mark.django_db
BASE = "/api/v1/schemas"
V1 = record("Order", field("id", "long"))
V2 = record("Order", field("id", "long"), field("note", "string", default=""))
BAD = record("Order", field("id", "long"), field("total", "double"))


@pytest.fixture
def api(client, token):
    def call(method: str, path: str, body=None):
        kwargs = bearer(token)
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
        response = getattr(client, method.lower())(BASE + path, **kwargs)
        return response.status_code, json.loads(response.content)

    return call


def test_register_check_diff_and_migrations(api):
    status, body = api("POST", "/subjects/orders-value/versions", {"schema": V1})
    assert (status, body["version"], body["id"], body["created"]) == (200, 1, 1, True)
    assert api("POST", "/subjects/orders-value/versions", {"schema": V2})[1]["version"] == 2
    status, body = api("POST", "/subjects/orders-value/check", {"schema": BAD})
    assert status == 200 and body["compatible"] is False and body["compatibility"] == "BACKWARD"
    assert any("READER_FIELD_MISSING_DEFAULT_VALUE" in m for m in body["messages"])
    status, body = api("POST", "/subjects/orders-value/versions", {"schema": BAD})
    assert (status, body["code"]) == (409, "incompatible_schema") and "total" in body["message"]

    status, body = api("GET", "/subjects/orders-value/diff?from_version=1&to_version=2")
    assert status == 200 and body["from"] == 1 and body["to"] == 2
    assert any(line.startswith("+") and '"note"' in line for line in body["diff"])

    script = {
        "name": "add note column",
        "direction": "up",
        "language": "sql",
        "body": "ALTER TABLE o ADD note text",
    }
    assert api("POST", "/subjects/orders-value/versions/2/migrations", script)[0] == 201
    status, body = api("POST", "/subjects/orders-value/versions/2/migrations", script)
    assert (status, body["fields"]) == (409, {"name": "exists"})
    status, body = api("POST", "/subjects/orders-value/versions/2/migrations", {"direction": "sideways"})
    assert status == 400 and set(body["fields"]) == {"name", "direction", "body"}
    version = api("GET", "/subjects/orders-value/versions/2")[1]
    assert (
        version["migrations"][0]["body"] == "ALTER TABLE o ADD note text" and version["schema_type"] == "AVRO"
    )

    detail = api("GET", "/subjects/orders-value")[1]
    assert [v["version"] for v in detail["versions"]] == [1, 2] and detail["mode"] == "READWRITE"
    assert [s["subject"] for s in api("GET", "/subjects")[1]["subjects"]] == ["orders-value"]
    assert api("GET", "/subjects/nothing")[0] == 404
    assert api("POST", "/subjects/orders-value/versions", {"schema": "{nope"})[1]["code"] == "invalid_schema"


def test_a_subject_is_the_data_contract_of_an_entity(api, client, token):
    from dictamesh.auth.services import api_token_create, user_ensure

    steward = api_token_create(user=user_ensure(username="stella", superuser=True), name="t").clear

    def catalog(
        path: str, body: dict, as_token: str = token
    ) -> dict:  # through the catalog's API, as users would
        response = client.post(
            f"/api/v1/catalog/{path}", json.dumps(body), content_type="application/json", **bearer(as_token)
        )
        assert response.status_code == 201, response.content
        return json.loads(response.content)

    catalog("domains", {"name": "sales"}, steward)  # the catalog's structure is stewards'
    catalog("sources", {"name": "shop", "kind": "kafka"}, steward)
    created = catalog(
        "entities",
        {"source": "shop", "type": "topic", "source_key": "orders", "name": "orders", "domain": "sales"},
    )
    entity = SimpleNamespace(urn=created["urn"])
    api("POST", "/subjects/orders-value/versions", {"schema": V1})
    api("POST", "/subjects/orders-value/versions", {"schema": V2})
    status, body = api("PUT", f"/subjects/orders-value/entities/{entity.urn}")
    assert status == 200 and body["entities"] == [entity.urn]
    assert api("PUT", "/subjects/orders-value/entities/dm:shop:topic:nope")[0] == 404
    assert api("PUT", f"/subjects/nothing/entities/{entity.urn}")[0] == 404

    query = f'{{ entity(urn: "{entity.urn}") {{ schemaSubject schema }} }}'
    response = client.post("/graphql", {"query": query}, content_type="application/json", **bearer(token))
    data = json.loads(response.content)["data"]["entity"]
    assert data["schemaSubject"] == "orders-value"
    assert [v["version"] for v in data["schema"]["versions"]] == [1, 2]
    assert '"note"' in data["schema"]["latest_schema"]

    assert api("DELETE", f"/subjects/orders-value/entities/{entity.urn}")[1]["entities"] == []
    assert api("DELETE", f"/subjects/orders-value/entities/{entity.urn}")[0] == 404
