"""Hole 6: hostile input is a 4xx with the field named, on every surface — never a 500 or an HTML page."""

from __future__ import annotations

import base64
import json

import pytest

from apps.governance.tests.helpers import urn

ENTITY = {"source": "crm", "type": "table", "source_key": "x", "name": "x", "domain": "sales"}


def _json(client, method, path, body, headers=None, content_type="application/json"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return getattr(client, method)(path, data, content_type=content_type, **(headers or {}))


def _is_json_error(response, status=None):
    assert response["Content-Type"].startswith(("application/json", "application/vnd.schemaregistry")), (
        response.status_code, response.content[:300])  # fmt: skip
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, response.content[:300]
    return response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/catalog/search?q=%00",
        "/api/v1/catalog/entities?domain=sa%00les",
        "/api/v1/catalog/entities/dm:crm:table:%00x",
        "/api/v1/governance/explain?action=read&resource=dm%00",
        "/api/v1/namespaces/a%00b/datasets",
        "/schema-registry/subjects/a%00b/versions",
        "/graphql?query=%7B%20search(query%3A%20%22%00%22)%20%7B%20total%20%7D%20%7D",
    ],
)
def test_nul_in_paths_and_query_strings(world, client, path):
    for headers in ({}, world["root"]):
        body = _is_json_error(client.get(path, **headers))
        assert "nul" in json.dumps(body).lower()


@pytest.mark.parametrize(
    "text,code",
    [('"a\\u0000b"', "nul_character"), ('"a\\ud800b"', "invalid_text")],
    ids=["nul", "lone-surrogate"],
)
def test_unstorable_text_in_json_bodies(world, client, text, code):
    raw = json.dumps({**ENTITY, "description": "PLACEHOLDER"}).replace('"PLACEHOLDER"', text)
    body = _is_json_error(_json(client, "post", "/api/v1/catalog/entities", raw, world["root"]), 400)
    assert body["code"] == code and "body.description" in body["fields"]
    gql = '{"query": "query($q: String!) { search(query: $q) { total } }", "variables": {"q": TEXT}}'.replace(
        "TEXT", text
    )
    answer = _is_json_error(_json(client, "post", "/graphql", gql, world["root"]), 400)
    assert answer["errors"][0]["extensions"]["code"] == code
    registry = '{"schema": TEXT}'.replace("TEXT", text)
    answer = _is_json_error(_json(client, "post", "/schema-registry/subjects/s/versions", registry, world["root"],
                                  content_type="application/vnd.schemaregistry.v1+json"))  # fmt: skip
    assert answer["error_code"] == 42201
    lineage = _json(client, "post", "/api/v1/lineage",
                    '{"eventType": "START", "eventTime": "2026-01-01T00:00:00Z", "producer": TEXT, '
                    '"run": {"runId": "3f5e83fa-3480-44ff-99c5-ff943904e5e8"}, '
                    '"job": {"namespace": "n", "name": "j"}}'.replace("TEXT", text), world["root"])  # fmt: skip
    assert _is_json_error(lineage, 400)["code"] == code


def test_nesting_past_the_limit(world, client):
    deep = "[" * 100_000 + "]" * 100_000
    assert (
        _is_json_error(_json(client, "post", "/api/v1/catalog/entities", deep, world["root"]), 400)["code"]
        == "too_deep"
    )
    # json.dumps recurses: deep bodies are built as text
    raw = json.dumps(ENTITY)[:-1] + ', "properties": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"
    body = _is_json_error(_json(client, "post", "/api/v1/catalog/entities", raw, world["root"]), 400)
    assert body["code"] == "too_deep" and body["fields"]
    gql = '{"query": "{ viewer { username } }", "variables": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"
    assert _is_json_error(_json(client, "post", "/graphql", gql, world["root"]), 400)["errors"]
    avro = '{"type": "record", "name": "r", "fields": [{"name": "f", "type": ' * 1000 + '"int"' + "}]}" * 1000
    registry = _json(client, "post", "/schema-registry/subjects/deep-value/versions", {"schema": avro},
                     world["root"], content_type="application/vnd.schemaregistry.v1+json")  # fmt: skip
    assert _is_json_error(registry)["error_code"] == 42201


def test_bodies_over_the_limit_are_413_before_parsing(world, client, settings):
    settings.DICTAMESH_API_MAX_BODY_BYTES = 10_000
    big = json.dumps({**ENTITY, "description": "x" * 20_000})
    body = _is_json_error(_json(client, "post", "/api/v1/catalog/entities", big, world["root"]), 413)
    assert body["code"] == "payload_too_large"
    answer = _is_json_error(
        _json(client, "post", "/graphql", json.dumps({"query": "{ a }", "x": "y" * 20_000})), 413
    )
    assert answer["errors"][0]["extensions"]["code"] == "payload_too_large"


def test_wrong_json_types_and_forged_values(world, client):
    root = world["root"]
    assert _is_json_error(_json(client, "post", "/graphql", {"query": 123}), 400)["errors"]
    assert _is_json_error(
        _json(client, "post", "/graphql", {"query": "{ viewer { username } }", "variables": [1]})
    )
    assert _is_json_error(_json(client, "post", "/graphql", [1, 2]))
    for cursor in ("e30", base64.urlsafe_b64encode(b'{"x": 1}').decode().rstrip("="), "WzFd", "bnVsbA"):
        for path in ("/api/v1/catalog/entities", "/api/v1/catalog/search", "/api/v1/events"):
            response = client.get(path, {"cursor": cursor, "after": cursor}, **root)
            assert response.status_code in (200, 400), (path, cursor, response.content[:300])
    bad = [{**ENTITY, "cache": {"strategy": {}}}, {**ENTITY, "urn": [None, None]}, {**ENTITY, "owners": [[]]},
           {**ENTITY, "tags": {"a": 1}}, {**ENTITY, "name": 5}, {**ENTITY, "properties": []}]  # fmt: skip
    for item in bad:
        _is_json_error(_json(client, "post", "/api/v1/catalog/entities", item, root))
        bulk = _json(client, "post", "/api/v1/catalog/entities/bulk", {"entities": [item]}, root)
        assert bulk.status_code < 500, bulk.content[:300]
    for days in (10**12, -1, "x", 1.5, [1]):
        response = _json(client, "post", "/api/v1/auth/tokens", {"name": "t", "expires_days": days}, root)
        _is_json_error(response)


def test_unknown_paths_answer_in_their_surface_shape(world, client):
    assert _is_json_error(client.get("/api/v1/nothing/here"), 404)["code"] == "not_found"
    assert _is_json_error(client.get("/api/v2/entities"), 404)["code"] == "not_found"
    for path in ("/schema-registry/nothing", "/schema-registry/subjects/a%0Ab/versions"):
        assert _is_json_error(client.get(path), 404)["error_code"] in (404, 40401)
    assert client.get(f"/api/v1/catalog/entities/{urn('nothing')}").status_code == 404


def test_a_statement_past_the_timeout_is_a_503_not_a_500(db):
    """DICTAMESH_DB_STATEMENT_TIMEOUT_MS bounds a web request's statements; PostgreSQL really cancels one."""
    from django.db import DatabaseError, connection, transaction

    from dictamesh.api.guard import exception_problem

    with pytest.raises(DatabaseError) as canceled, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 50")
        cursor.execute("SELECT pg_sleep(5)")
    problem = exception_problem(canceled.value)
    assert problem is not None and problem.status == 503 and problem.code == "query_timeout"


def test_web_processes_bound_their_statements(monkeypatch):
    import subprocess
    import sys

    code = "import django; django.setup(); from django.conf import settings; " \
           "print(settings.DATABASES['default']['OPTIONS'].get('options', ''))"  # fmt: skip
    env = {**__import__("os").environ, "DICTAMESH_ENV": "dev", "DICTAMESH_PROCESS": "web",
           "DJANGO_SETTINGS_MODULE": "config.settings"}  # fmt: skip
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "statement_timeout=30000" in shown.stdout, shown.stderr[-500:]
    env["DICTAMESH_PROCESS"] = "worker"
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "statement_timeout" not in shown.stdout, shown.stderr[-500:]
