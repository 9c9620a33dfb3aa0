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


# writes that take nothing but their path (and maybe query parameters): no body to declare
BODILESS = {
    ("post", "/api/v1/governance/fields/{pk}/confirm"), ("post", "/api/v1/governance/fields/{pk}/reject"),
    ("post", "/api/v1/governance/retention/policies/{name}/run"),
    ("post", "/api/v1/governance/legal-holds/{name}/release"),
    ("post", "/api/v1/adapters/{name}/test"), ("post", "/api/v1/adapters/{name}/runs/{run_id}/cancel"),
    ("put", "/api/v1/schemas/subjects/{subject}/entities/{urn}"),
    ("post", "/api/v1/privacy/requests/{reference}/discover"), ("post", "/api/v1/privacy/requests/{reference}/approve"),
    ("post", "/api/v1/privacy/requests/{reference}/retry"),
}  # fmt: skip
# answers that are files, not JSON: declared with their media type
FILES = {("get", "/api/v1/privacy/exports/download")}


def test_every_operation_declares_its_answer_and_every_write_its_body(client):
    """Issue 21: no operation answers an untyped object; every write that reads a body declares it (a
    contract's model, so generated clients type both)."""
    spec = client.get("/api/v1/openapi.json").json()
    untyped, bodiless = [], []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
            typed = [
                s for s, r in successes.items()
                if s == "204" or "$ref" in str(r.get("content", {}).get("application/json", {}).get("schema", {}))
            ]  # fmt: skip
            if (method, path) in FILES:
                typed = [
                    s for s, r in successes.items() if "application/octet-stream" in r.get("content", {})
                ]
            if not typed:
                untyped.append(f"{method.upper()} {path}")
            writes = method in ("post", "put", "patch") and (method, path) not in BODILESS
            if writes and "requestBody" not in operation:
                bodiless.append(f"{method.upper()} {path}")
    assert untyped == [] and bodiless == []
