"""The entity read cache: L1 and L2 fills, invalidation in every process, freshness records, metrics."""

from __future__ import annotations

import time

import pytest
from prometheus_client import REGISTRY

from apps.catalog import selectors, services
from apps.catalog.caching import ENTITY_CACHE
from apps.catalog.consumers import invalidate_cache
from apps.catalog.inputs import entity_input
from apps.catalog.models import CacheStatus
from apps.catalog.tests.conftest import entity, urn
from dictamesh.cache import TwoLevelCache
from dictamesh.events.envelope import Event


def metric(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_reads_fill_l2_then_l1_and_a_change_invalidates_both(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.entity_register(entity=entity_input(entity("orders", description="v1")))
    misses = metric("dictamesh_cache_misses_total", cache="catalog.entity")
    l1_hits = metric("dictamesh_cache_hits_total", cache="catalog.entity", level="l1")
    assert selectors.entity_get(urn=urn("orders"))["description"] == "v1"
    assert ENTITY_CACHE.peek(urn("orders")) == (True, True)
    assert selectors.entity_get(urn=urn("orders"))["description"] == "v1"
    assert metric("dictamesh_cache_misses_total", cache="catalog.entity") == misses + 1
    assert metric("dictamesh_cache_hits_total", cache="catalog.entity", level="l1") == l1_hits + 1
    status = CacheStatus.objects.get(entity__urn=urn("orders"))
    assert status.fills == 1 and status.ttl_seconds == 300 and status.fresh_until > status.cached_at

    with django_capture_on_commit_callbacks(execute=True):
        services.entity_update(urn=urn("orders"), changes=entity_input({"description": "v2"}))
    assert ENTITY_CACHE.peek(urn("orders")) == (False, False)
    assert selectors.entity_get(urn=urn("orders"))["description"] == "v2"
    status.refresh_from_db()
    assert status.invalidations == 1 and status.fills == 2


def test_a_rolled_back_change_invalidates_nothing(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.entity_register(entity=entity_input(entity("orders")))
    selectors.entity_get(urn=urn("orders"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.entity_update(urn=urn("orders"), changes=entity_input({"description": "never committed"}))
    assert callbacks  # the invalidation waits for a commit that (here) never comes
    assert ENTITY_CACHE.peek(urn("orders")) == (True, True)


def test_entities_with_strategy_none_or_zero_ttl_are_never_cached(world):
    services.entity_register(entity=entity_input(entity("live", cache={"strategy": "none"})))
    services.entity_register(entity=entity_input(entity("zero", cache={"ttl_seconds": 0})))
    for key in ("live", "zero"):
        selectors.entity_get(urn=urn(key))
        assert ENTITY_CACHE.peek(urn(key)) == (False, False)
    assert not CacheStatus.objects.exists()


def test_invalidation_reaches_the_l1_of_another_process(settings):
    """Two caches of the same name stand for two processes: each has its own L1 and listener thread."""
    here = TwoLevelCache("catalog.test", l1_size=lambda: 100, l1_ttl=lambda: 60)
    there = TwoLevelCache("catalog.test", l1_size=lambda: 100, l1_ttl=lambda: 60)
    assert here.get("k", lambda: "v1", ttl=60) == "v1"
    assert there.get("k", lambda: "unused", ttl=60) == "v1"  # from L2, now in its L1 as well
    assert there.peek("k")[0]
    here.invalidate(["k"])
    deadline = time.monotonic() + 5
    while there.peek("k")[0] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not there.peek("k")[0]
    assert there.get("k", lambda: "v2", ttl=60) == "v2"


def test_l1_evicts_least_recently_used_and_counts_it(db):
    small = TwoLevelCache("catalog.small", l1_size=lambda: 2, l1_ttl=lambda: 60)
    before = metric("dictamesh_cache_evictions_total", cache="catalog.small", reason="lru")
    for key in ("a", "b", "c"):
        small.get(key, lambda k=key: k, ttl=60)
    assert metric("dictamesh_cache_evictions_total", cache="catalog.small", reason="lru") == before + 1
    assert not small.peek("a")[0] and small.peek("c")[0]
    small.invalidate(["a", "b", "c"])


def test_the_cache_consumer_invalidates_from_the_event(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.entity_register(entity=entity_input(entity("orders")))
    selectors.entity_get(urn=urn("orders"))
    assert ENTITY_CACHE.peek(urn("orders"))[1]
    event = Event(type="dictamesh.catalog.entity.updated", source="elsewhere", subject=urn("orders"), data={})
    invalidate_cache(event)
    assert ENTITY_CACHE.peek(urn("orders")) == (False, False)


def test_the_cache_consumer_is_registered_for_entity_events():
    from django.conf import settings
    from django.utils.module_loading import import_string

    registry = import_string(settings.DICTAMESH_EVENTS + ".REGISTRY")
    spec = registry.consumer("catalog-cache")
    assert spec.topics == ("dictamesh.catalog.entity.v1",)
    assert import_string(spec.handler) is invalidate_cache


@pytest.fixture(autouse=True)
def _cleanup_test_caches():
    yield
    for name in ("catalog.test", "catalog.small"):
        from django.core.cache import cache

        cache.delete_pattern(f"{name}:*")


def test_l1_size_zero_turns_the_process_cache_off(db):
    only_l2 = TwoLevelCache("catalog.nol1", l1_size=lambda: 0, l1_ttl=lambda: 60)
    try:
        assert only_l2.get("k", lambda: "v", ttl=60) == "v"
        assert only_l2.peek("k") == (False, True)
        assert only_l2.get("k", lambda: "other", ttl=60) == "v"  # from L2
    finally:
        only_l2.invalidate(["k"])
