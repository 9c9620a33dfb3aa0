"""REST root: OpenAPI, docs, error shapes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "DictaMesh API"
    assert "/api/v1/auth/tokens" in spec["paths"]
    assert "/api/v1/auth/whoami" in spec["paths"]


def test_docs_page(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and b"openapi.json" in response.content


def test_malformed_json_body_is_a_clear_error(client, token):
    from tests.conftest import bearer

    response = client.post(
        "/api/v1/auth/tokens", "{not json", content_type="application/json", **bearer(token)
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["message"]


def test_every_operation_states_its_security_and_errors(client):
    """The document a client is generated from: security schemes (Swagger's Authorize button), a server,
    unique operation ids, and on every operation its security and the API's error responses."""
    spec = client.get("/api/v1/openapi.json").json()
    bearer_scheme = spec["components"]["securitySchemes"]["bearer"]
    assert (bearer_scheme["type"], bearer_scheme["scheme"]) == ("http", "bearer")
    assert spec["components"]["securitySchemes"]["basic"]["scheme"] == "basic"
    assert spec["servers"] == [{"url": "/"}]
    problem = {"$ref": "#/components/schemas/Problem"}
    ids = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            ids.append(operation["operationId"])
            assert {"bearer": []} in operation["security"], (method, path)
            for status in ("400", "401", "403", "429", "503"):
                content = operation["responses"][status]["content"]["application/json"]["schema"]
                assert content == problem, (method, path, status)
            assert all(isinstance(status, str) for status in operation["responses"])
    assert len(ids) == len(set(ids)) and "catalog_entity_register" in ids
