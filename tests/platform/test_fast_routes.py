"""The WSGI application serves POST /api/v1/lineage before Django's request stack (dictamesh.api.fastroutes):
the same answers as the Django route, for good and bad requests alike; every other request reaches Django."""

from __future__ import annotations

import gzip
import io
import uuid

import orjson
import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from prometheus_client import REGISTRY

from apps.lineage.models import LineageEvent, Run
from tests.conftest import basic, bearer

pytestmark = pytest.mark.django_db


def call(path: str, body: bytes = b"", *, method: str = "POST", **headers) -> tuple[int, dict, dict]:
    from config.wsgi import application

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        **headers,
    }
    started: list = []
    # as Django's test client does: the test's connection (and its transaction) outlives the request
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        chunks = application(
            environ, lambda status, response_headers: started.append((status, response_headers))
        )
        content = b"".join(chunks)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    status, response_headers = started[0]
    response_headers = dict(response_headers)
    is_json = response_headers.get("Content-Type", "").startswith("application/json")
    return int(status.split()[0]), response_headers, orjson.loads(content) if is_json else {}


def event(job: str = "etl", run_id: str | None = None, **extra) -> dict:
    return {
        "eventType": "START",
        "eventTime": "2026-11-26T10:00:00Z",
        "producer": "https://example.com/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id or str(uuid.uuid4())},
        "job": {"namespace": "airflow", "name": job},
        "inputs": [],
        "outputs": [{"namespace": "pg", "name": "t"}],
        **extra,
    }


def both(path: str, body: bytes, **headers) -> list[tuple[int, dict]]:
    """The answer of the fast route and of the Django route (the test client bypasses config.wsgi)."""
    fast_status, _, fast_body = call(path, body, **headers)
    response = Client().post(path, data=body, content_type="application/json", **headers)
    return [(fast_status, fast_body), (response.status_code, response.json())]


def test_an_event_is_stored_then_a_duplicate_by_either_route(token):
    body = orjson.dumps(event())
    status, headers, answer = call("/api/v1/lineage", body, **bearer(token), HTTP_X_REQUEST_ID="req-42")
    assert (status, answer["status"], answer["kind"]) == (201, "stored", "RunEvent")
    assert headers["X-Request-ID"] == "req-42" and headers["Content-Type"] == "application/json"
    assert (
        both("/api/v1/lineage", body, **bearer(token))
        == [
            (201, {"status": "duplicate", "kind": "RunEvent", "runId": answer["runId"]}),
        ]
        * 2
    )
    assert Run.objects.get(run_id=answer["runId"]).state == "START"


def test_gzip_and_basic_credentials(user, token):
    status, _, answer = call(
        "/api/v1/lineage",
        gzip.compress(orjson.dumps(event())),
        HTTP_CONTENT_ENCODING="gzip",
        **basic(user.get_username(), token),
    )
    assert (status, answer["status"]) == (201, "stored")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (orjson.dumps({**event(), "eventTime": "yesterday"}), 400, "invalid_event"),
        (orjson.dumps([1, 2]), 400, "invalid_event"),
    ],
)
def test_bad_events_answer_alike_and_store_nothing(token, body, status, code):
    answers = both("/api/v1/lineage", body, **bearer(token))
    assert answers[0] == answers[1]
    assert (answers[0][0], answers[0][1]["code"]) == (status, code)
    assert not LineageEvent.objects.exists()


def test_a_body_over_the_limit_is_413_before_it_is_read(token, settings):
    settings.DICTAMESH_LINEAGE_MAX_BODY_BYTES = 2048
    status, _, answer = call("/api/v1/lineage", orjson.dumps(event(padding="x" * 4096)), **bearer(token))
    assert (status, answer["code"]) == (413, "payload_too_large")


def test_a_run_of_another_job_is_409(token):
    run_id = str(uuid.uuid4())
    assert call("/api/v1/lineage", orjson.dumps(event("owner", run_id)), **bearer(token))[0] == 201
    answers = both("/api/v1/lineage", orjson.dumps(event("intruder", run_id)), **bearer(token))
    assert answers[0] == answers[1] and answers[0][0] == 409
    assert answers[0][1]["fields"] == {"run.runId": "belongs to another job"}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Writes need a DictaMesh API token"),
        ({"HTTP_AUTHORIZATION": "Bearer dmt_nope_nope"}, "The API token is not valid."),
        ({"HTTP_AUTHORIZATION": "Token abc"}, "Unsupported Authorization scheme"),
    ],
)
def test_writes_need_a_valid_token(headers, message):
    status, response_headers, answer = call("/api/v1/lineage", orjson.dumps(event()), **headers)
    assert (status, answer["code"]) == (401, "unauthenticated") and answer["message"].startswith(message)
    assert "Bearer" in response_headers["WWW-Authenticate"]
    assert not LineageEvent.objects.exists()


def test_requests_are_counted_under_the_route(token):
    def count(status: str) -> float:
        labels = {"method": "POST", "route": "/api/v1/lineage", "status": status}
        return REGISTRY.get_sample_value("dictamesh_http_requests_total", labels) or 0.0

    before = count("201"), count("401")
    call("/api/v1/lineage", orjson.dumps(event()), **bearer(token))
    call("/api/v1/lineage", orjson.dumps(event()))
    assert (count("201"), count("401")) == (before[0] + 1, before[1] + 1)


def test_other_requests_reach_django(token):
    status, _, answer = call("/api/v1/lineage", method="GET", **bearer(token))  # the Marquez graph read
    assert status == 400 and answer["fields"] == {"nodeId": "required"}
    assert call("/healthz", method="GET")[0] == 200
