from __future__ import annotations

import json

import pytest

from tests.conftest import client, token, user  # noqa: F401 - shared fixtures


@pytest.fixture(autouse=True)
def fresh_caches():
    """Schema ids restart in every test database: what is cached under an id must not leak between tests."""
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


def record(name: str, *fields: dict, **extra) -> str:
    return json.dumps({"type": "record", "name": name, "fields": list(fields), **extra})


def field(name: str, type_, **extra) -> dict:
    return {"name": name, "type": type_, **extra}
