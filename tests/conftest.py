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
    return Client()


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def basic(username: str, token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()}


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
        for registry_cache in (selectors.SCHEMA_CACHE, selectors.SUBJECT_CACHE, selectors.CONFIG_CACHE):
            registry_cache.clear_local()

    clear()
    yield
    clear()
