from __future__ import annotations

import base64

import pytest
from django.test import Client

from dictamesh.auth.services import api_token_create, user_ensure


@pytest.fixture
def user(db):
    return user_ensure(username="alice")


@pytest.fixture
def token(user):
    return api_token_create(user=user, name="test").clear


@pytest.fixture
def client() -> Client:
    """Dispatched as production dispatches (tests/served.py)."""
    from tests.served import ServedClient

    return ServedClient()


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def basic(username: str, token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()}


@pytest.fixture(autouse=True)
def fresh_read_caches():
    """The catalog's entity cache and the gateway's live records live in Redis and in this process, and
    outlive a test's rolled-back database, where ids restart: every test starts without them."""
    from django.core.cache import cache

    from apps.adapters import live
    from apps.catalog.caching import ENTITY_CACHE

    def clear():
        cache.delete_pattern("catalog.entity:*")
        cache.delete_pattern(f"{live.LIVE_CACHE.name}:*")
        ENTITY_CACHE.clear_local()
        live.LIVE_CACHE.clear_local()

    clear()
    yield
    clear()


@pytest.fixture(autouse=True)
def fresh_registry_caches():
    """The schema registry's caches (Redis and this process) outlive a test's rolled-back database, where ids
    restart: every test starts without what an earlier one cached. Active here and where a conftest imports
    it (apps/*/tests)."""
    from django.core.cache import cache

    from apps.schemas import selectors

    def clear():
        selectors._PARSED.clear()
        cache.delete_pattern("schemas.*")
        for registry_cache in (
            selectors.SCHEMA_CACHE, selectors.SUBJECT_CACHE, selectors.CONFIG_CACHE, selectors.SCHEMA_SUBJECTS_CACHE
        ):  # fmt: skip
            registry_cache.clear_local()

    clear()
    yield
    clear()


@pytest.fixture(autouse=True)
def fresh_config_versions():
    """Config versions (dictamesh.config_version) live in Redis and in this process and outlive a flushed
    database, whose version rows start again: a process's compiled subscriptions, templates or rules would
    look current to the next test. Every test starts without them."""
    from django.core.cache import cache

    from dictamesh.config_version import VERSIONS

    def clear():
        cache.delete_pattern(f"{VERSIONS.name}:*")
        VERSIONS.clear_local()

    clear()
    yield
    clear()


@pytest.fixture
def celery_worker():
    """A real Celery worker on the deployment's broker (Redis), in a thread of this process: it shares the test
    database and the test's settings (the SMTP server's port, say)."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


def consume_until(consumer: str, group: str, done, *, timeout: float = 60) -> None:
    """Run the deployment's consumer ``consumer`` (in a group of the test's own) until ``done()`` or timeout."""
    import dataclasses
    import time

    from config.events import REGISTRY
    from dictamesh.events.consumers import ConsumerRunner

    spec = dataclasses.replace(REGISTRY.consumer(consumer), group_id=f"test-{group}")
    runner = ConsumerRunner(spec)
    runner.subscribe()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not done():
            records = [r for r in runner.consumer.consume(num_messages=500, timeout=0.5) if r.error() is None]
            if records:
                runner.process_batch(records)
    finally:
        runner.consumer.close()
        runner.dlq.flush(10)


def wait_until(done, *, timeout: float = 60) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.1)
    return done()
