"""Token-authenticated calls under the lean routes' prefixes (config/lean_urls.py: the REST API, GraphQL and
the schema registry) are
served by Django through a shorter middleware chain (dictamesh.api.fastroutes.LeanStack, ADR 0019): the same
answers, errors, audit and metrics as through the whole stack, which still serves browsers (a cookie) and
calls without a token."""

from __future__ import annotations

import json

import pytest
from prometheus_client import REGISTRY

from apps.governance.models import EventLog
from apps.governance.tests.helpers import urn
from apps.schemas.public import register_schema
from tests.conftest import basic
from tests.security.conftest import world  # noqa: F401 - the governance world, a fixture

pytestmark = pytest.mark.django_db

AVRO = json.dumps({"type": "record", "name": "Pay", "fields": [{"name": "amount", "type": "int"}]})
COOKIE = {"HTTP_COOKIE": "theme=dark"}  # a browser's request: the whole stack


@pytest.fixture
def schema_id(user):
    from apps.schemas.services import SchemaInput, register

    return register(subject="pay-value", data=SchemaInput(AVRO)).schema.pk


def _raw(path, *, method="GET", body=b"", **headers):
    import io

    from config.wsgi import application

    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": headers.pop("QUERY_STRING", ""),
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/vnd.schemaregistry.v1+json", **headers,
    }  # fmt: skip
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    started = []
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(application(environ, lambda status, hs: started.append((status, dict(hs)))))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return int(started[0][0].split()[0]), started[0][1], content


def test_a_registry_read_with_a_token_takes_the_lean_way_and_answers_as_the_whole_stack(
    user, token, schema_id
):
    auth = basic(user.username, token)
    path = f"/schema-registry/schemas/ids/{schema_id}"
    status, headers, content = _raw(path, **auth)
    assert status == 200 and json.loads(json.loads(content)["schema"]) == json.loads(AVRO)
    assert headers["Content-Type"] == "application/vnd.schemaregistry.v1+json"
    assert int(headers["Content-Length"]) == len(content)  # keep-alive clients frame by it
    assert len(headers["X-Request-ID"]) == 32
    assert "X-Frame-Options" not in headers  # the lean chain: no clickjacking header on a JSON call
    full_status, full_headers, full_content = _raw(path, **auth, **COOKIE)
    assert (full_status, full_content) == (status, content)
    assert full_headers["X-Frame-Options"] == "DENY"  # the whole stack
    own = _raw(path, **auth, HTTP_X_REQUEST_ID="trace-me-1")[1]["X-Request-ID"]
    assert own == "trace-me-1"


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "status", "code"),
    [
        (
            "GET",
            "/schema-registry/schemas/ids/{id}",
            "",
            {"HTTP_AUTHORIZATION": "Bearer dmt_nope_nope"},
            401,
            401,
        ),
        ("GET", "/schema-registry/no/such/thing", "", None, 404, 404),
        ("GET", "/schema-registry/schemas/ids/abc", "", None, 404, 40403),
        ("PATCH", "/schema-registry/subjects/pay-value/versions", "", None, 405, 405),
        ("GET", "/schema-registry/schemas/ids/{id}", "fetchMaxId=maybe", None, 400, 400),
        ("GET", "/schema-registry/subjects", "subjectPrefix=a%00b", None, 422, 42201),  # the input guard
    ],
)
def test_errors_are_the_same_both_ways(user, token, schema_id, method, path, query, headers, status, code):
    headers = headers or basic(user.username, token)
    path = path.format(id=schema_id)
    lean = _raw(path, method=method, QUERY_STRING=query, **headers)
    full = _raw(path, method=method, QUERY_STRING=query, **headers, **COOKIE)
    assert lean[0] == full[0] == status, (lean, full)
    assert lean[2] == full[2]
    if code is not None:
        assert json.loads(lean[2])["error_code"] == code


def test_a_denied_read_is_audited_and_counted_under_its_route(world, client):  # noqa: F811
    register_schema(subject="payroll-value", schema_type="AVRO", schema=AVRO)
    link = json.dumps({"schema_subject": "payroll-value"})
    response = client.patch(
        f"/api/v1/catalog/entities/{urn('salaries')}", link, content_type="application/json", **world["root"]
    )
    assert response.status_code == 200, response.content
    route = "/schema-registry/subjects/(?P<subject>.+?)/versions/(?P<version>[^/]+)/?$"
    labels = {"method": "GET", "route": route, "status": "404"}
    before = REGISTRY.get_sample_value("dictamesh_http_requests_total", labels) or 0
    denied = EventLog.objects.filter(type="dictamesh.governance.access.denied").count()

    response = client.get("/schema-registry/subjects/payroll-value/versions/latest", **world["alice"])
    assert response.json()["error_code"] == 40401
    assert client.handler.taken[-1] == "lean", dict(client.cookies)
    assert EventLog.objects.filter(type="dictamesh.governance.access.denied").count() == denied + 1
    assert REGISTRY.get_sample_value("dictamesh_http_requests_total", labels) == before + 1


def test_the_api_graphql_and_registry_with_a_token_are_lean_the_rest_and_browsers_are_not(
    user, token, client
):
    auth = basic(user.username, token)
    assert client.get("/api/v1/catalog/entities", **auth).status_code == 200
    query = {"query": "{ entities(first: 1) { nodes { urn } } }"}
    assert client.post("/graphql", query, content_type="application/json", **auth).status_code == 200
    client.cookies.clear()  # graphene-django's view sets a CSRF cookie, which a browser would send back
    assert client.get("/api/v9/nothing", **auth).json()["code"] == "not_found"  # the API's 404, not HTML
    assert client.handler.taken == ["lean", "lean", "lean"]
    client.get("/healthz", **auth)
    client.get("/admin/", **auth)
    client.get("/schema-registry/subjects")  # anonymous
    client.cookies["theme"] = "dark"
    client.get("/schema-registry/subjects", **auth)
    assert client.handler.taken[3:] == ["full", "full", "full", "full"]
