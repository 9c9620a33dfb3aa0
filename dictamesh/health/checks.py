"""Readiness checks: each answers (ok, latency_ms, detail) and never raises."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

REQUIRED_EXTENSIONS = ("vector", "pg_trgm")
TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    latency_ms: float
    detail: str

    def as_dict(self) -> dict:
        return {"ok": self.ok, "latency_ms": round(self.latency_ms, 2), "detail": self.detail}


def _timed(fn: Callable[[], str]) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = fn()
        ok = True
    except Exception as exc:  # noqa: BLE001 - a check reports any failure as data
        detail = f"{type(exc).__name__}: {exc}".strip()[:500]
        ok = False
    return CheckResult(ok, (time.perf_counter() - started) * 1000, detail)


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0]
    return version.split(" on ")[0]


def check_extensions() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT extname, extversion FROM pg_extension WHERE extname = ANY(%s)",
            [list(REQUIRED_EXTENSIONS)],
        )
        found = dict(cursor.fetchall())
    missing = [name for name in REQUIRED_EXTENSIONS if name not in found]
    if missing:
        raise RuntimeError(f"missing extension(s): {', '.join(missing)} (run `manage.py migrate`)")
    return ", ".join(f"{name} {found[name]}" for name in REQUIRED_EXTENSIONS)


def check_migrations() -> str:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        raise RuntimeError(f"{len(plan)} unapplied migration(s): {names}")
    return f"{len(executor.loader.applied_migrations)} applied"


def check_redis() -> str:
    from django_redis import get_redis_connection

    from dictamesh.redis_state import REDIS

    client = get_redis_connection("default")
    try:
        client.ping()
    except Exception as exc:
        status = REDIS.status()
        raise RuntimeError(f"{type(exc).__name__}: {exc}; this process runs {status['mode']}") from exc
    return f"redis {client.info('server').get('redis_version', '?')}"


_admin_lock = threading.Lock()
_admin_clients: dict[tuple, object] = {}


def _kafka_admin():
    """One AdminClient per process and configuration (creating one starts librdkafka threads)."""
    from dictamesh.events.producer import client_config

    conf = client_config()
    conf["socket.timeout.ms"] = int(TIMEOUT_SECONDS * 1000)
    key = tuple(sorted(conf.items()))
    with _admin_lock:
        client = _admin_clients.get(key)
        if client is None:
            from confluent_kafka.admin import AdminClient

            client = _admin_clients[key] = AdminClient(conf, logger=logging.getLogger("dictamesh.kafka"))
        return client


def check_kafka() -> str:
    metadata = _kafka_admin().list_topics(timeout=TIMEOUT_SECONDS)
    if not metadata.brokers:
        raise RuntimeError("no broker in the cluster metadata")
    return f"{len(metadata.brokers)} broker(s), {len(metadata.topics)} topic(s)"


def check_celery_broker() -> str:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)
        return f"{conn.transport_cls} broker reachable"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "extensions": check_extensions,
    "migrations": check_migrations,
    "redis": check_redis,
    "kafka": check_kafka,
    "celery_broker": check_celery_broker,
}


def run_checks() -> dict[str, CheckResult]:
    return {name: _timed(fn) for name, fn in CHECKS.items()}
