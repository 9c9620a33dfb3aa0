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
    assert response.status_code in (400, 422)
    body = response.json()
    assert body["code"] in ("invalid_request", "http_error") and body["message"]
