from __future__ import annotations

import pytest

from apps.catalog import services
from tests.conftest import client, token, user  # noqa: F401 - shared fixtures


@pytest.fixture
def world(db):
    """Two domains and two source systems."""
    services.domain_create(name="sales", display_name="Sales")
    services.domain_create(name="finance", display_name="Finance")
    services.source_create(name="crm", kind="salesforce")
    services.source_create(name="erp", kind="postgresql")


def entity(key: str, *, source: str = "crm", type_: str = "table", **fields) -> dict:
    return {"source": source, "type": type_, "source_key": key, "name": key, "domain": "sales", **fields}


@pytest.fixture(autouse=True)
def clean_cache():
    """The read cache lives in Redis and in this process: tests start without entries of earlier tests."""
    from django.core.cache import cache

    from apps.catalog.caching import ENTITY_CACHE

    cache.delete_pattern("catalog.entity:*")
    ENTITY_CACHE.clear_local()
    yield
    cache.delete_pattern("catalog.entity:*")
    ENTITY_CACHE.clear_local()


def urn(key: str, *, source: str = "crm", type_: str = "table") -> str:
    return f"dm:{source}:{type_}:{key}"
