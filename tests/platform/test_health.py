"""/healthz and /readyz against the real services: 503 naming a failing required dependency (PostgreSQL),
200 "degraded" naming a failing optional one (Redis, Kafka, the Celery broker)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

pytestmark = pytest.mark.django_db

EXPECTED = {"database", "extensions", "migrations", "redis", "kafka", "celery_broker"}


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"


def test_healthz_ignores_bad_tokens(client):
    assert client.get("/healthz", HTTP_AUTHORIZATION="Bearer nonsense").status_code == 200


def test_readyz_all_green_on_real_services(client):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == EXPECTED
    for name, check in body["checks"].items():
        assert check["ok"] is True, (name, check)
        assert isinstance(check["latency_ms"], float) and check["latency_ms"] >= 0
    assert "vector" in body["checks"]["extensions"]["detail"]
    assert "pg_trgm" in body["checks"]["extensions"]["detail"]
    assert body["checks"]["database"]["detail"].startswith("PostgreSQL")


def test_readyz_is_degraded_when_kafka_is_unreachable(client):
    with override_settings(DICTAMESH_KAFKA={**settings.DICTAMESH_KAFKA, "bootstrap.servers": "127.0.0.1:1"}):
        response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["kafka"]["ok"] is False and body["checks"]["kafka"]["detail"]
    assert body["checks"]["database"]["ok"] is True


def test_readyz_is_degraded_when_redis_and_the_broker_are_unreachable(client):
    caches = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=caches, CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is False
    assert "this process runs" in body["checks"]["redis"]["detail"]
    assert body["checks"]["celery_broker"]["ok"] is False
    assert body["checks"]["kafka"]["ok"] is True


def test_readyz_fails_when_a_required_check_fails(client):
    with (
        override_settings(DICTAMESH_READYZ_REQUIRED=["database", "kafka"]),
        override_settings(DICTAMESH_KAFKA={**settings.DICTAMESH_KAFKA, "bootstrap.servers": "127.0.0.1:1"}),
    ):
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "fail"


def test_readyz_reports_missing_extension(client, django_db_blocker):
    from django.db import connection, transaction

    # the catalog's trigram index depends on pg_trgm: drop both in a transaction that is rolled back
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP EXTENSION pg_trgm CASCADE")
        body = client.get("/readyz").json()
        transaction.set_rollback(True)
    assert body["checks"]["extensions"]["ok"] is False
    assert "pg_trgm" in body["checks"]["extensions"]["detail"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'dictamesh_cat_word_trgm_idx'")
        assert cursor.fetchone() == (1,)
