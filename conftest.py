"""Fixtures every test of the project gets, wherever it lives (tests/, apps/*/tests, dictamesh/)."""

from __future__ import annotations

import contextlib

import pytest


@pytest.fixture(autouse=True)
def fresh_access_caches():
    """The cached policy version and memberships (governance.access) outlive a test's rolled-back database,
    where the version goes back and user ids restart (in production the version only ever moves forward):
    every test starts without them, and without the schema owners each process caches (catalog.caching)."""
    from django.core.cache import cache

    from apps.catalog.caching import SCHEMA_OWNERS_CACHE
    from apps.governance import access

    def clear():
        SCHEMA_OWNERS_CACHE.clear_local()
        access.VERSION_CACHE.clear_local()
        with access._MEMBERS_LOCK:
            access._MEMBERS.clear()
        with contextlib.suppress(Exception):  # a test that stopped Redis: its L1 is cleared, nothing is in L2
            cache.delete_pattern("governance.version:*")

    clear()
    yield
    clear()


@pytest.fixture
def client():
    """Django's test client, dispatching each request as the WSGI application does (tests/served.py)."""
    from tests.served import ServedClient

    return ServedClient()
