"""/metrics: django-prometheus plus dictamesh_* metrics."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _value(text: str, prefix: str) -> float:
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_exposes_django_and_dictamesh_metrics(client):
    client.get("/api/v1/auth/whoami")
    client.get("/no/such/page")
    text = client.get("/metrics").content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert 'dictamesh_http_requests_total{method="GET",route="/api/v1/auth/whoami",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    assert "dictamesh_http_request_duration_seconds_bucket" in text
    assert "dictamesh_db_pool_enabled" in text
    assert "# TYPE dictamesh_celery_tasks_total counter" in text


def test_request_counter_counts(client):
    before = _value(
        client.get("/metrics").content.decode(), 'dictamesh_http_requests_total{method="GET",route="/healthz"'
    )
    for _ in range(3):
        client.get("/healthz")
    after = _value(
        client.get("/metrics").content.decode(), 'dictamesh_http_requests_total{method="GET",route="/healthz"'
    )
    assert after - before == 3


def test_route_label_is_the_pattern_not_the_path(client, token):
    from tests.conftest import bearer

    client.delete("/api/v1/auth/tokens/4242", **bearer(token))
    text = client.get("/metrics").content.decode()
    assert 'route="/api/v1/auth/tokens/<token_id>",status="404"' in text
    assert "tokens/4242" not in text


def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123").headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces\n").headers["X-Request-ID"]
    assert len(made) == 32 and " " not in made


POOL_SCRIPT = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT 1")
from dictamesh.observability.metrics import exposition
print(exposition().decode())
"""


def test_db_pool_metrics_with_pooling_on():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DICTAMESH_DB_POOL": "true", "DICTAMESH_DB_POOL_MAX": "4"}
    result = subprocess.run(
        [sys.executable, "-c", POOL_SCRIPT],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "dictamesh_db_pool_enabled 1.0" in result.stdout
    assert 'dictamesh_db_pool_connections{alias="default",state="max"} 4.0' in result.stdout
    assert 'dictamesh_db_pool_connections{alias="default",state="open"}' in result.stdout
    assert 'dictamesh_db_pool_requests_waiting{alias="default"} 0.0' in result.stdout
