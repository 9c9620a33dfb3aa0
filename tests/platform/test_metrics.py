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
